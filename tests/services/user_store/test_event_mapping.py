"""Which events a change emits and what they carry (services/user_store/events.py): pure functions."""

from datetime import UTC, datetime

import orjson
import pytest

from contracts.events.v1 import EVENT_TYPES, USER_STORE, cloud_event, parse_event
from contracts.groups.v1 import GroupRecord
from contracts.users.v1 import UserRecord
from services.gateway.scim.resources import render
from services.user_store.events import (
    group_data,
    membership_events,
    rfc3339,
    user_data,
    user_event_type,
)
from shared.scim.attributes import GROUP, USER

ANN = {"userName": "ann", "active": True}
AT = datetime(2026, 12, 2, 10, 8, 30, 123000, tzinfo=UTC)


@pytest.mark.parametrize(("before", "after", "expected"), [
    (None, ANN, "scimflow.user.created"),
    (ANN, None, "scimflow.user.deleted"),
    (ANN, {**ANN, "active": False}, "scimflow.user.deactivated"),
    ({"userName": "ann"}, {**ANN, "active": False}, "scimflow.user.deactivated"),  # no active: active
    ({**ANN, "active": False}, ANN, "scimflow.user.reactivated"),
    ({**ANN, "active": False}, {"userName": "ann"}, "scimflow.user.reactivated"),
    (ANN, {**ANN, "title": "Head of Sales"}, "scimflow.user.updated"),
    ({**ANN, "active": False}, {**ANN, "active": False, "title": "x"}, "scimflow.user.updated"),
])
def test_a_users_change_is_named_by_its_active_transition(before, after, expected):
    assert user_event_type(before, after) == expected


def test_members_leaving_and_joining_are_one_event_each_with_sorted_ids():
    assert membership_events("g", {"b", "a"}, {"c"}) == [
        ("scimflow.group.members_removed", "g", {"group_id": "g", "members": ["c"]}),
        ("scimflow.group.members_added", "g", {"group_id": "g", "members": ["a", "b"]})]
    assert membership_events("g", (), ()) == []
    assert [kind for kind, _, _ in membership_events("g", ["a"], ())] == ["scimflow.group.members_added"]


def user_record() -> UserRecord:
    resource = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann", "active": True,
                "groups": [{"value": "g1", "display": "Sales", "type": "direct"}]}
    return UserRecord(id="u1", resource=resource, created=AT, last_modified=AT, version=3)


def group_record() -> GroupRecord:
    resource = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales",
                "members": [{"value": "u1", "type": "User", "display": "Ann"}]}
    return GroupRecord(id="g1", resource=resource, created=AT, last_modified=AT, version=2)


def as_the_gateway_renders(record, schema, left_out: str) -> dict:
    """The gateway's rendering (RFC 7643 §3.1), less what needs its public URL and the membership."""
    rendered = render(record, schema, "https://scim.example.com/scim/v2")
    rendered.pop(left_out, None)
    del rendered["meta"]["location"]
    return rendered


def test_a_users_data_is_the_user_as_the_idp_reads_it_without_groups():
    data = user_data(user_record())
    assert data == as_the_gateway_renders(user_record(), USER, "groups")
    assert data["meta"] == {"resourceType": "User", "created": "2026-12-02T10:08:30.123000Z",
                            "lastModified": "2026-12-02T10:08:30.123000Z", "version": 'W/"3"'}


def test_a_groups_data_is_the_group_as_the_idp_reads_it_without_members():
    data = group_data(group_record())
    assert data == as_the_gateway_renders(group_record(), GROUP, "members")
    assert "members" not in data and data["id"] == "g1"


def test_times_are_rfc3339_in_utc():
    naive_utc = datetime(2026, 12, 2, 10, 8)  # as SQLite hands a stored time back
    assert rfc3339(naive_utc) == "2026-12-02T10:08:00Z"


@pytest.mark.parametrize("kind", sorted(kind for kind, model in EVENT_TYPES.items() if model.SOURCE == USER_STORE))
def test_the_store_built_envelope_is_the_contracts_event(kind):
    data = ({"group_id": "g1", "members": ["u1"]} if "members_" in kind
            else user_data(user_record()) if ".user." in kind else group_data(group_record()))
    raw = cloud_event(kind, event_id="m1-0", source="scimflow/user_store", subject="x", tenant_id="t1",
                      time=rfc3339(AT), data=data)
    event = parse_event(orjson.dumps(raw))
    assert type(event) is EVENT_TYPES[kind] and event.model_dump(mode="json") == raw
