"""Token and connection events from the tenant records (services/webhooks/tenant_events.py): each revision
compared with the last one filed, what changed published once under a stable id, reminders as time passes;
read back through the events API, as a vendor would."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson

from contracts.events.v1 import (
    CONNECTION_CHANGED,
    TOKEN_EXPIRED,
    TOKEN_EXPIRING,
    TOKEN_REPLACED,
    TOKEN_REVOKED,
    ConnectionEvent,
    TokenEvent,
    parse_event,
)
from contracts.webhooks.v1 import EventPage, ListEvents
from services.webhooks.tenant_events import TenantEvents, due_milestone
from tests.support.webhooks import publish_tenant, read, tenant_record, until

TENANT_TYPES = [TOKEN_EXPIRING, TOKEN_EXPIRED, TOKEN_REPLACED, TOKEN_REVOKED, CONNECTION_CHANGED]


async def tenant_events(service) -> list[dict]:
    return (await service.ask(ListEvents(types=TENANT_TYPES), EventPage)).events


async def until_events(service, count: int) -> list[dict]:
    async def enough() -> bool:
        return len(await tenant_events(service)) >= count

    await until(enough)
    return await tenant_events(service)


async def settled(service, revision: int) -> None:
    """Until the service filed this revision of the tenant (its changes published before)."""
    async def filed() -> bool:
        filed_revision = await read(service, "SELECT revision FROM tenant_marks WHERE tenant_id = 't1'")
        return filed_revision is not None and filed_revision >= revision

    await until(filed)


def brief(events: list[dict]) -> list[tuple]:
    return [(e["type"], e["subject"], e["data"].get("reason") or e["data"].get("replaced_token_id")) for e in events]


async def test_a_replaced_then_deleted_token_and_a_connection_change(make_service):
    service = await make_service()
    await publish_tenant(service, tenant_record(1))  # the first record seen: nothing to compare with
    await settled(service, 1)
    await publish_tenant(service, tenant_record(2, token="tok2", revoked=(("tok1", "replaced"),)),
                         tenant_record(3, token="tok2", revoked=(("tok1", "replaced"),), idp_type="entra_id"),
                         tenant_record(4, token=None, revoked=(("tok1", "replaced"), ("tok2", "deleted")),
                                       idp_type="entra_id"))
    events = await until_events(service, 4)
    assert sorted(brief(events)) == sorted([(TOKEN_REPLACED, "tok2", "tok1"), (TOKEN_REVOKED, "tok1", "replaced"),
                                            (CONNECTION_CHANGED, "t1", None), (TOKEN_REVOKED, "tok2", "deleted")])
    changed = next(e for e in events if e["type"] == CONNECTION_CHANGED)
    assert (changed["data"]["idp_type"], changed["data"]["previous"]["idp_type"]) == ("entra_id", "okta")
    assert all(isinstance(parse_event(orjson.dumps(e)), TokenEvent | ConnectionEvent)
               and e["source"] == "scimflow/tenants" for e in events)


async def test_a_repeated_or_stale_record_publishes_nothing_again(make_service):
    service = await make_service()
    first, second = tenant_record(1), tenant_record(2, token="tok2", revoked=(("tok1", "replaced"),))
    await publish_tenant(service, first)
    await settled(service, 1)
    await publish_tenant(service, second, second, first)
    await settled(service, 2)
    events = await until_events(service, 2)
    another_copy = TenantEvents(service.dispatcher.deps.uow, None, service.clock)  # publishes nothing: filed
    await another_copy.apply([second, first])
    assert len(await tenant_events(service)) == len(events) == 2


def test_the_reminder_due_is_the_latest_milestone_reached():
    expires = tenant_record(1).token.expires_at
    assert [due_milestone(expires, expires - timedelta(days=days)) for days in (40, 30, 20, 14, 10, 5, 1, 0.5)] == [
        None, "30", "30", "14", "14", "7", "1", "1"]
    assert due_milestone(expires, expires) == due_milestone(expires, expires + timedelta(days=3)) == "expired"


async def test_reminders_come_once_per_milestone_then_the_expiry(make_service, clock):
    service = await make_service()
    record = tenant_record(1, expires="2026-12-03T09:00:00Z")  # 10 days after the test clock's now
    await publish_tenant(service, record)
    await settled(service, 1)
    async with service.bus.publisher() as publisher:
        reminders = TenantEvents(service.dispatcher.deps.uow, publisher, clock)
        sent = [await reminders.remind_due(), await reminders.remind_due()]
        clock.advance(days=4)
        sent += [await reminders.remind_due()]
        clock.advance(days=7)
        sent += [await reminders.remind_due(), await reminders.remind_due()]
    assert sent == [1, 0, 1, 1, 0]
    events = await until_events(service, 3)
    assert [(e["type"], e["data"].get("days_left")) for e in events] == [
        (TOKEN_EXPIRING, 14), (TOKEN_EXPIRING, 7), (TOKEN_EXPIRED, None)]
    assert [e["id"] for e in events] == ["t1:tok1:14:token.expiring", "t1:tok1:7:token.expiring",
                                         "t1:tok1:expired:token.expired"]


async def test_with_events_off_a_change_publishes_nothing(make_service):
    """On, these records' events are in the history within milliseconds (the tests above); off, none come."""
    service = await make_service(events_enabled=False)
    await publish_tenant(service, tenant_record(1), tenant_record(2, token="tok2", revoked=(("tok1", "replaced"),)))
    await asyncio.sleep(0.5)
    assert await tenant_events(service) == []
    assert await read(service, "SELECT count(*) FROM tenant_marks") == 0
