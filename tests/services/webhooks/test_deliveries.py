"""Events reach the endpoints that want them (services/webhooks/ingest.py, delivery.py): signed, once per id,
in commit order per subject, retried with backoff while an endpoint fails, the endpoint disabled and its
admins told after three days of failures, resumed when enabled, replayed on request."""

from __future__ import annotations

import time
from datetime import timedelta

import orjson
import pytest
from standardwebhooks import Webhook

from contracts.events.v1 import USER_CREATED, USER_DEACTIVATED, USER_UPDATED
from contracts.notifications.v1 import Notify
from contracts.topics import NOTIFIER_COMMANDS
from contracts.webhooks.v1 import (
    ChangeEndpoint,
    CreateEndpoint,
    DeliveryPage,
    EndpointCreated,
    EndpointRecord,
    GetEndpoint,
    ListDeliveries,
    ReplayEvents,
    ReplayQueued,
)
from services.webhooks.bootstrap import prune_history
from services.webhooks.delivery import Deliverer
from shared.messaging.codec import (
    decode_headers,
    decode_message,
)
from tests.support.webhooks import (
    event,
    eventually,
    publish_tenant,
    read,
    settings_for,
    tenant_record,
    until,
)


async def endpoint(service, url: str, **fields) -> EndpointCreated:
    return await service.ask(CreateEndpoint(url=url, **fields), EndpointCreated)


async def deliveries(service, endpoint_id: str, **query) -> DeliveryPage:
    return await service.ask(ListDeliveries(endpoint_id=endpoint_id, **query), DeliveryPage)


async def settled(service, endpoint_id: str, attempts: int, **query) -> DeliveryPage:
    """The deliveries page once this many attempts are recorded: a receiver has a delivery a moment
    before the service records how it went."""
    await until(lambda: attempts_at_least(service, endpoint_id, attempts))
    return await deliveries(service, endpoint_id, **query)


async def test_an_event_arrives_signed_as_the_stream_carried_it(make_service, receiver):
    service, (hook, url) = await make_service(), receiver
    created = await endpoint(service, url)
    sent = event("u1", USER_CREATED, userName="ada")
    await service.publish(sent)
    await eventually(lambda: hook.received)
    headers, body = hook.received[0]
    assert orjson.loads(body) == sent
    assert headers["webhook-id"] == sent["id"] and headers["content-type"].startswith("application/cloudevents+json")
    assert headers["webhook-timestamp"] == str(int(service.clock().timestamp()))
    page = await settled(service, created.endpoint.id, 1)
    assert (page.total_results, page.pending) == (1, 0)
    assert (page.attempts[0].event_id, page.attempts[0].status_code, page.attempts[0].succeeded) == (sent["id"], 200, True)


async def test_the_signature_verifies_with_the_reference_package(make_service, receiver, clock):
    service, (hook, url) = await make_service(), receiver
    clock.now = clock.now.fromtimestamp(time.time(), tz=clock.now.tzinfo)  # the package checks freshness
    created = await endpoint(service, url)
    await service.publish(event("u1"))
    await eventually(lambda: hook.received)
    headers, body = hook.received[0]
    assert Webhook(created.secret).verify(body, headers)["subject"] == "u1"


async def test_an_endpoint_gets_only_the_types_it_asked_for(make_service, receiver):
    service, (hook, url) = await make_service(), receiver
    await endpoint(service, url, event_types=[USER_DEACTIVATED])
    wanted = event("u1", USER_DEACTIVATED)
    await service.publish(event("u1", USER_CREATED), wanted, event("u2", USER_CREATED, tenant="t2"))
    await eventually(lambda: hook.received)
    await service.publish(event("u9", USER_DEACTIVATED, tenant="t2"))  # another tenant's: not this endpoint's
    await eventually(lambda: hook.ids() == [wanted["id"]])


async def test_an_event_the_stream_carried_twice_is_delivered_once(make_service, receiver):
    service, (hook, url) = await make_service(), receiver
    created = await endpoint(service, url)
    twice, after = event("u1"), event("u1", USER_UPDATED)
    await service.publish(twice, twice, after)
    await eventually(lambda: len(hook.received) == 2)
    assert hook.ids() == [twice["id"], after["id"]]
    assert (await settled(service, created.endpoint.id, 2)).total_results == 2


async def test_a_failing_subject_waits_in_order_while_others_go_on(make_service, receiver, clock):
    service, (hook, url) = await make_service(), receiver
    created = await endpoint(service, url)
    hook.answer = lambda: 503
    first, second = event("u1", USER_CREATED), event("u1", USER_UPDATED)
    await service.publish(first, second)
    await eventually(lambda: hook.received)
    hook.answer = lambda: 200
    other = event("u2", USER_CREATED)
    await service.publish(other)
    await eventually(lambda: other["id"] in hook.ids())
    assert hook.ids() == [first["id"], other["id"]]  # u1's second event waits for its first
    page = await settled(service, created.endpoint.id, 2, outcome="failed")
    assert (page.total_results, page.pending) == (1, 2)
    assert (page.attempts[0].status_code, page.attempts[0].error) == (503, "HTTP 503: not now")
    clock.advance(seconds=10)  # past the first retry's delay (2.5 to 5 s with its jitter)
    await eventually(lambda: len(hook.received) == 4)
    assert hook.ids() == [first["id"], other["id"], first["id"], second["id"]]
    assert (await settled(service, created.endpoint.id, 4)).pending == 0


async def test_an_endpoint_that_is_not_listening_is_retried(make_service, clock, tmp_path):
    service = await make_service()
    created = await endpoint(service, "http://127.0.0.1:9/nobody")  # the discard port: refused
    await service.publish(event("u1"))
    await until(lambda: attempts_at_least(service, created.endpoint.id, 1))
    page = await deliveries(service, created.endpoint.id)
    assert page.attempts[0].status_code is None and "Connect" in page.attempts[0].error and page.pending == 1


async def stored(service, event_id: str) -> bool:
    return await read(service, "SELECT count(*) FROM events WHERE id = ?", event_id) == 1


async def service_attempts(service, endpoint_id: str) -> int:
    """The endpoint's attempts so far, read straight from the service's database (either backend)."""
    return await read(service, "SELECT count(*) FROM attempts WHERE endpoint_id = ?", endpoint_id)


async def attempts_at_least(service, endpoint_id: str, attempts: int) -> bool:
    return await service_attempts(service, endpoint_id) >= attempts


def test_the_backoff_doubles_up_to_its_most_with_jitter(tmp_path):
    settings = settings_for(tmp_path, webhooks_retry_base_seconds=5, webhooks_retry_max_seconds=3600)
    whole = Deliverer(None, None, settings, clock=None, notify=None, jitter=lambda: 1.0)
    half = Deliverer(None, None, settings, clock=None, notify=None, jitter=lambda: 0.0)
    assert [whole.backoff(n).total_seconds() for n in (1, 2, 3, 10, 40)] == [5, 10, 20, 2560, 3600]
    assert [half.backoff(n).total_seconds() for n in (1, 2, 12)] == [2.5, 5, 1800]


async def notices(service) -> list[Notify]:
    async with service.bus.reader(NOTIFIER_COMMANDS.name, from_beginning=True) as reader:
        records = await reader.fetch(100)
    return [decode_message(decode_headers(r.headers), r.value) for r in records]


async def test_three_days_of_failures_disable_the_endpoint_and_tell_its_admins_once(make_service, receiver, clock):
    service, (hook, url) = await make_service(), receiver
    await publish_tenant(service, tenant_record(1, admins=(("a1", "ada@acme.example"), ("a2", "bob@acme.example"))))
    created = await endpoint(service, url)
    hook.answer = lambda: 500
    await service.publish(event("u1"), event("u2"))
    await eventually(lambda: len(hook.received) == 2)
    for _ in range(80):  # retries at most an hour apart: three days are ~75 of them
        shown = (await service.ask(GetEndpoint(endpoint_id=created.endpoint.id), EndpointRecord)).endpoint
        if not shown.enabled:
            break
        made = await service_attempts(service, created.endpoint.id)
        clock.advance(hours=1)
        await until(lambda made=made: attempts_at_least(service, created.endpoint.id, made + 1))
    assert not shown.enabled and shown.failing_since is not None
    assert shown.disabled_reason.startswith("no delivery succeeded since") and "HTTP 500" in shown.disabled_reason
    told = await notices(service)
    assert len(told) == 1 and told[0].kind == "webhook_disabled"
    assert {r.email for r in told[0].recipients} == {"ada@acme.example", "bob@acme.example"}
    latest = event("u3")
    await service.publish(latest)  # disabled: nothing new is queued for it (a replay can send it later)
    await until(lambda: stored(service, latest["id"]))
    assert (await deliveries(service, created.endpoint.id)).pending == 2


async def test_enabling_again_resumes_the_undelivered_events_in_order(make_service, receiver):
    service, (hook, url) = await make_service(), receiver
    created = await endpoint(service, url)
    await service.ask(ChangeEndpoint(endpoint_id=created.endpoint.id, enabled=False), EndpointRecord)
    hook.answer = lambda: 503
    await service.ask(ChangeEndpoint(endpoint_id=created.endpoint.id, enabled=True), EndpointRecord)
    first, second = event("u1"), event("u1", USER_UPDATED)
    await service.publish(first, second)
    await eventually(lambda: hook.received)
    await service.ask(ChangeEndpoint(endpoint_id=created.endpoint.id, enabled=False), EndpointRecord)
    hook.answer = lambda: 200
    await service.ask(ChangeEndpoint(endpoint_id=created.endpoint.id, enabled=True), EndpointRecord)
    await eventually(lambda: len(hook.received) == 3)
    assert hook.ids() == [first["id"], first["id"], second["id"]]


async def test_a_replay_sends_again_with_the_same_ids(make_service, receiver):
    service, (hook, url) = await make_service(), receiver
    created = await endpoint(service, url, event_types=[USER_CREATED])
    old = event("u1", time="2026-11-20T09:00:00Z")
    new = event("u2", time="2026-11-22T09:00:00Z")
    await service.publish(old, event("u2", USER_UPDATED, time="2026-11-22T10:00:00Z"), new)
    await settled(service, created.endpoint.id, 2)  # not just received: one still queued is not queued twice
    since = await service.ask(ReplayEvents(endpoint_id=created.endpoint.id, since="2026-11-21T00:00:00Z"), ReplayQueued)
    assert since.queued == 1  # u2's update is not a type this endpoint wants
    await settled(service, created.endpoint.id, 3)
    by_id = await service.ask(ReplayEvents(endpoint_id=created.endpoint.id, event_ids=[old["id"], "nope"]), ReplayQueued)
    assert by_id.queued == 1
    await eventually(lambda: len(hook.received) == 4)
    assert sorted(hook.ids()[:2]) == sorted([old["id"], new["id"]])  # two subjects: either first
    assert hook.ids()[2:] == [new["id"], old["id"]]


@pytest.mark.parametrize("fields", [{}, {"since": "2026-11-21T00:00:00Z", "event_ids": ["e"]},
                                    {"since": "2026-11-21T00:00:00"}])
def test_a_replay_names_a_time_with_its_offset_or_ids(fields):
    with pytest.raises(ValueError):
        ReplayEvents(endpoint_id="ep", **fields)


async def test_the_history_forgets_events_and_attempts_older_than_it_keeps(make_service, receiver, clock):
    service, (_, url) = await make_service(), receiver
    created = await endpoint(service, url)
    old = event("u1")
    await service.publish(old)
    await settled(service, created.endpoint.id, 1)
    clock.advance(days=20)
    recent = event("u2")
    await service.publish(recent)
    await settled(service, created.endpoint.id, 2)
    clock.advance(days=15)  # the first 35 days old, the second 15: a history of 30 keeps the second only
    await prune_history(service.dispatcher.deps.uow, clock, timedelta(days=30))
    assert (await stored(service, old["id"]), await stored(service, recent["id"])) == (False, True)
    assert [a.event_id for a in (await deliveries(service, created.endpoint.id)).attempts] == [recent["id"]]
