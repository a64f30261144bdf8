"""The provisioning event contract (contracts/events/v1.py): a golden sample per event type, the stream's
topic, and what every consumer may rely on."""

import json
from datetime import timedelta
from pathlib import Path

import pytest

from contracts.events.v1 import (
    EVENT_CLASSES,
    EVENT_TYPES,
    GroupMembersEvent,
    SeatEvent,
    SeatRefusedEvent,
    UserEvent,
    parse_event,
)
from contracts.topics import ALL_TOPICS, COMMAND_PARTITIONS, EVENTS

EVENT_SAMPLES = Path(__file__).parents[2] / "contracts" / "samples" / "events"


@pytest.mark.parametrize("kind", sorted(EVENT_TYPES))
def test_every_event_type_has_a_golden_sample_that_round_trips(kind):
    sample = json.loads((EVENT_SAMPLES / f"{kind}.json").read_text())
    event = parse_event(json.dumps(sample))
    assert type(event) is EVENT_TYPES[kind] and event.type == kind
    assert event.model_dump(mode="json") == sample
    assert (event.specversion, event.datacontenttype) == ("1.0", "application/json")


def test_no_orphan_event_samples():
    assert {path.stem for path in EVENT_SAMPLES.glob("*.json")} == set(EVENT_TYPES)


def test_the_event_types():
    assert sorted(EVENT_TYPES) == sorted(
        [f"scimflow.user.{kind}" for kind in ("created", "updated", "deactivated", "reactivated", "deleted")]
        + [f"scimflow.group.{kind}" for kind in ("created", "updated", "deleted", "members_added", "members_removed")]
        + [f"scimflow.seat.{kind}" for kind in ("assigned", "released", "refused")]
        + ["scimflow.subscription_set.synced"]
        + [f"scimflow.token.{kind}" for kind in ("expiring", "expired", "replaced", "revoked")]
        + ["scimflow.connection.changed"])


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.TYPE)
def test_each_event_class_names_the_service_that_sends_it_as_its_samples_do(cls):
    assert cls.SOURCE in {"scimflow/user_store", "scimflow/seat_allocator", "scimflow/tenants"}
    for kind in (kind for kind, model in EVENT_TYPES.items() if model is cls):
        assert json.loads((EVENT_SAMPLES / f"{kind}.json").read_text())["source"] == cls.SOURCE


def test_a_seat_refusal_carries_a_known_code_and_a_seat_change_no_refusal():
    refused = json.loads((EVENT_SAMPLES / "scimflow.seat.refused.json").read_text())
    assert isinstance(parse_event(json.dumps(refused)), SeatRefusedEvent)
    whole_user = {**refused["data"], "product": None, "reason": "no_product"}  # a refusal of the user as a whole
    assert parse_event(json.dumps({**refused, "data": whole_user})).data.product is None
    with pytest.raises(ValueError):
        parse_event(json.dumps({**refused, "data": {**refused["data"], "reason": "too_expensive"}}))
    with pytest.raises(ValueError):  # an assigned seat has no reason, and names its product
        parse_event(json.dumps({**refused, "type": "scimflow.seat.assigned"}))
    assigned = {key: value for key, value in refused["data"].items() if key not in ("reason", "detail")}
    assert isinstance(parse_event(json.dumps({**refused, "type": "scimflow.seat.assigned", "data": assigned})),
                      SeatEvent)
    with pytest.raises(ValueError):
        parse_event(json.dumps({**refused, "type": "scimflow.seat.assigned", "data": {**assigned, "product": None}}))


def test_an_event_of_one_type_cannot_carry_another_types_data():
    sample = json.loads((EVENT_SAMPLES / "scimflow.group.members_added.json").read_text())
    with pytest.raises(ValueError):
        parse_event(json.dumps({**sample, "data": {"group_id": "g", "members": []}}))  # a change of nobody
    assert isinstance(parse_event(json.dumps(sample)), GroupMembersEvent)
    with pytest.raises(ValueError):
        parse_event(json.dumps({**sample, "type": "scimflow.user.unknown"}))
    assert isinstance(parse_event(json.dumps({**sample, "type": "scimflow.user.updated", "data": {}})), UserEvent)


def test_the_stream_is_declared_with_the_other_topics_and_kept_a_week():
    assert EVENTS in ALL_TOPICS and EVENTS.name == "scimflow.events"
    assert EVENTS.partitions == COMMAND_PARTITIONS
    assert int(EVENTS.config["retention.ms"]) == timedelta(days=7).total_seconds() * 1000
