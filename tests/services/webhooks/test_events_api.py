"""The events API (services/webhooks/history.py): a tenant's events in the order they came, paged by an
opaque cursor that is good later for what came since, filtered by type; each event once."""

from __future__ import annotations

import pytest

from contracts import ErrorCode
from contracts.events.v1 import USER_CREATED, USER_DEACTIVATED, USER_UPDATED
from contracts.webhooks.v1 import EventPage, ListEvents
from shared.messaging.requester import RemoteError
from tests.support.webhooks import event, until


async def events(service, tenant: str = "t1", **query) -> EventPage:
    return await service.ask(ListEvents(**query), EventPage, tenant=tenant)


async def all_stored(service, count: int, tenant: str = "t1") -> None:
    async def enough() -> bool:
        return len((await events(service, tenant)).events) >= count

    await until(enough)


async def test_pages_follow_each_other_and_the_last_cursor_brings_what_came_later(make_service):
    service = await make_service()
    sent = [event("u1", USER_UPDATED) for _ in range(5)]  # one subject: one partition, one order
    await service.publish(*sent)
    await all_stored(service, 5)
    first = await events(service, limit=2)
    second = await events(service, after=first.next_cursor, limit=2)
    third = await events(service, after=second.next_cursor, limit=2)
    assert [e["id"] for page in (first, second, third) for e in page.events] == [e["id"] for e in sent]
    empty = await events(service, after=third.next_cursor)
    assert (empty.events, empty.next_cursor) == ([], third.next_cursor)
    later = event("u1", USER_DEACTIVATED)
    await service.publish(later, sent[0])  # a repeat of an old one is not listed again
    await all_stored(service, 6)
    assert [e["id"] for e in (await events(service, after=third.next_cursor)).events] == [later["id"]]


async def test_a_subjects_events_come_in_order_and_types_filter(make_service):
    service = await make_service()
    sent = [event("u1", USER_CREATED), event("u2", USER_CREATED), event("u1", USER_UPDATED),
            event("u1", USER_DEACTIVATED)]
    await service.publish(*sent)
    await all_stored(service, 4)
    listed = (await events(service)).events
    assert [e for e in listed if e["subject"] == "u1"] == [sent[0], sent[2], sent[3]]
    assert sorted(e["id"] for e in listed) == sorted(e["id"] for e in sent)
    only = await events(service, types=[USER_CREATED, USER_DEACTIVATED])
    assert sorted((e["subject"], e["type"]) for e in only.events) == [
        ("u1", USER_CREATED), ("u1", USER_DEACTIVATED), ("u2", USER_CREATED)]


async def test_a_tenant_reads_only_its_own_events(make_service):
    service = await make_service()
    await service.publish(event("u1", tenant="t1"), event("u2", tenant="t2"))
    await all_stored(service, 1, tenant="t2")
    await all_stored(service, 1, tenant="t1")
    assert [e["subject"] for e in (await events(service, tenant="t2")).events] == ["u2"]


@pytest.mark.parametrize("cursor", ["nonsense", "ZXYxOi0x", "ZXYxOng"])
async def test_a_cursor_the_api_did_not_give_is_refused(make_service, cursor):
    service = await make_service()
    with pytest.raises(RemoteError) as caught:
        await events(service, after=cursor)
    assert caught.value.code == ErrorCode.INVALID_VALUE


async def test_a_record_that_is_not_an_event_is_skipped(make_service):
    service = await make_service()
    async with service.bus.publisher() as publisher:
        await publisher.send("scimflow.events", b"not json", key="t1:x", headers=[])
        await publisher.send("scimflow.events", b'{"id": "e1", "tenantid": "t1"}', key="t1:x", headers=[])
    after = event("u1")
    await service.publish(after)
    await all_stored(service, 1)
    assert [e["id"] for e in (await events(service)).events] == [after["id"]]

