"""Webhooks service command handlers: endpoints, their deliveries, replays, and the events API; declared in
HANDLERS at the bottom. Writes run once per message id (the journal answers a redelivery with the first
answer, so a retried create returns the same endpoint and secret instead of making a second one)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import TypeVar

from contracts import ErrorCode, MessageMeta, Result
from contracts.events.v1 import EVENT_TYPES
from contracts.system.v1 import Ping
from contracts.topics import resource_key
from contracts.webhooks.v1 import (
    MAX_ENDPOINTS,
    ChangeEndpoint,
    CreateEndpoint,
    DeleteEndpoint,
    DeliveryAttempt,
    DeliveryPage,
    Endpoint,
    EndpointCreated,
    EndpointDeleted,
    EndpointList,
    EndpointRecord,
    EventPage,
    GetEndpoint,
    ListDeliveries,
    ListEndpoints,
    ListEvents,
    ReplayEvents,
    ReplayQueued,
)
from services.webhooks import history, signing
from services.webhooks.addresses import url_problem
from services.webhooks.settings import WebhooksSettings
from services.webhooks.tables import AttemptRow, EndpointRow
from services.webhooks.unit_of_work import UnitOfWork
from shared.events.emitted import epoch_ms
from shared.messaging.dispatch import CommandFailed, Handler, tenant_of
from shared.messaging.ping import ServiceIdentity, ping
from shared.sqlite import PlainSql, placeholders, table_of
from shared.store import found, utc_now

_ENDPOINTS, _ATTEMPTS = table_of(EndpointRow), table_of(AttemptRow)
ResultT = TypeVar("ResultT", bound=Result)


@dataclass(frozen=True)
class Deps:
    identity: ServiceIdentity
    uow: Callable[..., UnitOfWork]
    settings: WebhooksSettings
    clock: Callable[[], datetime] = utc_now
    #: Deliveries were queued: the deliverer need not wait for its next poll.
    wake_delivery: Callable[[], None] = field(default=lambda: None)


async def journaled(meta: MessageMeta, deps: Deps, result_type: type[ResultT],
                    work: Callable[[PlainSql, str], ResultT]) -> ResultT:
    """Run a write once per message id, in one transaction with its journal entry. Two runs of one command at
    once (a redelivery during a rebalance) take turns, the tenant's writes one at a time across copies (an
    advisory lock on PostgreSQL; SQLite's one writer); the second answers the first's reply once it is stored
    (on SQLite it may find it in the open transaction it joined, before the COMMIT)."""
    tenant_id = tenant_of(meta)
    async with deps.uow() as uow:
        await uow.run(lambda sql: sql.lock(f"webhooks:{tenant_id}"))
        if (earlier := await uow.journal.answer(meta.message_id)) is not None:
            await uow.commit()
            return result_type.model_validate(earlier)
        result = await uow.run(lambda sql: work(sql, tenant_id))
        await uow.journal.record(meta.message_id, result.model_dump(mode="json"))
        await uow.commit()
    deps.wake_delivery()
    return result


async def reading(meta: MessageMeta, deps: Deps, work: Callable[[PlainSql, str], ResultT]) -> ResultT:
    tenant_id = tenant_of(meta)
    async with deps.uow(read_only=True) as uow:
        return await uow.run(lambda sql: work(sql, tenant_id))


def endpoint_of(row: SimpleNamespace) -> Endpoint:
    return Endpoint(id=row.id, url=row.url, description=row.description, event_types=row.event_types,
                    enabled=row.enabled, disabled_reason=row.disabled_reason, created=row.created,
                    failing_since=row.failing_since, secret_prefix=signing.shown_part(row.secret))


def tenants_endpoint(sql: PlainSql, tenant_id: str, endpoint_id: str) -> SimpleNamespace:
    """The endpoint, or NOT_FOUND (another tenant's is just as unknown)."""
    return found(sql.select_one(_ENDPOINTS, "id = ? AND tenant_id = ?", endpoint_id, tenant_id), "endpoint",
                 endpoint_id)


def checked_url(url: str, settings: WebhooksSettings) -> str:
    if (problem := url_problem(url, allow_http=settings.webhooks_allow_http,
                               allow_private=settings.webhooks_allow_private_addresses)) is not None:
        raise CommandFailed(ErrorCode.INVALID_VALUE, f"url: {problem}")
    return url


def checked_types(types: list[str]) -> list[str]:
    if unknown := sorted(set(types) - set(EVENT_TYPES)):
        raise CommandFailed(ErrorCode.INVALID_VALUE, f"event_types: unknown {', '.join(unknown)}; known: "
                                                     f"{', '.join(sorted(EVENT_TYPES))}")
    return sorted(set(types))


async def create_endpoint(cmd: CreateEndpoint, meta: MessageMeta, deps: Deps) -> EndpointCreated:
    url, types, now = checked_url(cmd.url, deps.settings), checked_types(cmd.event_types), deps.clock()

    def work(sql: PlainSql, tenant_id: str) -> EndpointCreated:
        if sql.value("SELECT count(*) FROM endpoints WHERE tenant_id = ?", tenant_id) >= MAX_ENDPOINTS:
            raise CommandFailed(ErrorCode.INVALID_VALUE, f"a tenant has at most {MAX_ENDPOINTS} endpoints")
        secret = signing.new_secret()
        row = {"id": "ep_" + uuid.uuid4().hex, "tenant_id": tenant_id, "url": url, "description": cmd.description,
               "event_types": types, "enabled": True, "created": now, "secret": secret}
        sql.insert(_ENDPOINTS, row)
        return EndpointCreated(endpoint=endpoint_of(SimpleNamespace(disabled_reason=None, failing_since=None, **row)),
                               secret=secret)

    return await journaled(meta, deps, EndpointCreated, work)


async def list_endpoints(_: ListEndpoints, meta: MessageMeta, deps: Deps) -> EndpointList:
    def work(sql: PlainSql, tenant_id: str) -> EndpointList:
        rows = sql.select(_ENDPOINTS, "tenant_id = ? ORDER BY created, id", tenant_id)
        return EndpointList(endpoints=[endpoint_of(row) for row in rows])

    return await reading(meta, deps, work)


async def get_endpoint(cmd: GetEndpoint, meta: MessageMeta, deps: Deps) -> EndpointRecord:
    return await reading(meta, deps, lambda sql, tenant_id: EndpointRecord(
        endpoint=endpoint_of(tenants_endpoint(sql, tenant_id, cmd.endpoint_id))))


async def change_endpoint(cmd: ChangeEndpoint, meta: MessageMeta, deps: Deps) -> EndpointRecord:
    changes: dict[str, object] = {name: value for name, value in (
        ("url", None if cmd.url is None else checked_url(cmd.url, deps.settings)),
        ("description", cmd.description),
        ("event_types", None if cmd.event_types is None else checked_types(cmd.event_types)),
        ("enabled", cmd.enabled)) if value is not None}
    now = deps.clock()

    def work(sql: PlainSql, tenant_id: str) -> EndpointRecord:
        row = tenants_endpoint(sql, tenant_id, cmd.endpoint_id)
        if cmd.enabled and not row.enabled:  # resumed: its queued events are due now, its failures forgotten
            changes.update(disabled_reason=None, failing_since=None)
            sql.run("UPDATE deliveries SET next_attempt_ms = ? WHERE endpoint_id = ?", epoch_ms(now), row.id)
        if cmd.enabled is False:
            changes.update(disabled_reason="disabled by an admin")
        sql.update(_ENDPOINTS, {"id": row.id, **changes}, key=("id",))
        return EndpointRecord(endpoint=endpoint_of(tenants_endpoint(sql, tenant_id, row.id)))

    return await journaled(meta, deps, EndpointRecord, work)


async def delete_endpoint(cmd: DeleteEndpoint, meta: MessageMeta, deps: Deps) -> EndpointDeleted:
    """Its queued deliveries go with it; its attempts stay until they age out (a support trail)."""
    def work(sql: PlainSql, tenant_id: str) -> EndpointDeleted:
        row = tenants_endpoint(sql, tenant_id, cmd.endpoint_id)
        sql.run("DELETE FROM deliveries WHERE endpoint_id = ?", row.id)
        sql.run("DELETE FROM endpoints WHERE id = ?", row.id)
        return EndpointDeleted(endpoint_id=row.id)

    return await journaled(meta, deps, EndpointDeleted, work)


async def list_deliveries(cmd: ListDeliveries, meta: MessageMeta, deps: Deps) -> DeliveryPage:
    outcome = {"failed": " AND NOT succeeded", "succeeded": " AND succeeded", None: ""}[cmd.outcome]

    def work(sql: PlainSql, tenant_id: str) -> DeliveryPage:
        endpoint = tenants_endpoint(sql, tenant_id, cmd.endpoint_id)
        where = f"endpoint_id = ?{outcome}"
        total = sql.value(f"SELECT count(*) FROM attempts WHERE {where}", endpoint.id)
        rows = sql.select(_ATTEMPTS, f"{where} ORDER BY id DESC LIMIT ? OFFSET ?", endpoint.id, cmd.count,
                          cmd.start_index - 1)
        pending = sql.value("SELECT count(*) FROM deliveries WHERE endpoint_id = ?", endpoint.id)
        return DeliveryPage(total_results=total, pending=pending, attempts=[DeliveryAttempt(
            event_id=row.event_id, event_type=row.event_type, attempt=row.attempt, time=row.time,
            status_code=row.status_code, latency_ms=row.latency_ms, succeeded=row.succeeded, error=row.error)
            for row in rows])

    return await reading(meta, deps, work)


async def replay_events(cmd: ReplayEvents, meta: MessageMeta, deps: Deps) -> ReplayQueued:
    """Queued again, due now, in their order: each kept event since the time or of the ids, that the
    endpoint wants; an event still queued for it is not queued twice."""
    now = epoch_ms(deps.clock())

    def work(sql: PlainSql, tenant_id: str) -> ReplayQueued:
        endpoint = tenants_endpoint(sql, tenant_id, cmd.endpoint_id)
        if cmd.since is not None:
            events = sql.all("SELECT seq, type, subject FROM events WHERE tenant_id = ? AND time_ms >= ? ORDER BY seq",
                             tenant_id, epoch_ms(cmd.since))
        else:
            ids = cmd.event_ids or []
            events = sql.all(f"SELECT seq, type, subject FROM events WHERE tenant_id = ? AND id IN "
                             f"({placeholders(len(ids))}) ORDER BY seq", tenant_id, *ids)
        queued = sum(history.queue(sql, [endpoint.id], seq, resource_key(tenant_id, subject), now)
                     for seq, kind, subject in events if history.wants(endpoint.event_types, kind))
        return ReplayQueued(queued=queued)

    return await journaled(meta, deps, ReplayQueued, work)


async def list_events(cmd: ListEvents, meta: MessageMeta, deps: Deps) -> EventPage:
    def work(sql: PlainSql, tenant_id: str) -> EventPage:
        events, next_cursor = history.page(sql, tenant_id, cmd.after, cmd.types, cmd.limit)
        return EventPage(events=events, next_cursor=next_cursor)

    return await reading(meta, deps, work)


HANDLERS: Mapping[type, Handler[Deps]] = {
    CreateEndpoint: create_endpoint,
    ListEndpoints: list_endpoints,
    GetEndpoint: get_endpoint,
    ChangeEndpoint: change_endpoint,
    DeleteEndpoint: delete_endpoint,
    ListDeliveries: list_deliveries,
    ReplayEvents: replay_events,
    ListEvents: list_events,
    Ping: ping,
}

