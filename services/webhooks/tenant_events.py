"""Token and connection events (contracts/events/v1.py, source ``scimflow/tenants``) from the tenant records.

The gateway writes each change of a tenant as a new revision of its record on the compacted tenants.state
topic; that topic is the change's log, as the outbox is the user store's. This reads every record in
topic order (tenants.follow), compares it with the last revision of the tenant it filed (``tenant_marks``),
publishes on scimflow.events what changed, and only then files the new revision: a crash in between
publishes the same events again, under the same ids (at least once). A tenant's first record seen is
filed without events: there is nothing to compare it with (a first start reads every tenant that way).

As time passes, ``remind_due`` publishes a token's reminders, ``scimflow.token.expiring`` at 30, 14, 7 and
1 days before, and ``.expired`` at expiry: only the latest due (a token first seen 5 days before expiry
gets the 7-day one, not the 30-day one too), once per token and milestone.

Several copies of the service share the file of marks: the first to file a revision publishes its events;
one that handled it at the same moment publishes the same ids, which the history and consumers drop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import orjson

from contracts.events.v1 import (
    CONNECTION_CHANGED,
    CONTENT_TYPE,
    TENANTS,
    TOKEN_EXPIRED,
    TOKEN_EXPIRING,
    TOKEN_REPLACED,
    TOKEN_REVOKED,
    ConnectionChanged,
    ConnectionState,
    TokenState,
    cloud_event,
)
from contracts.tenants.v2 import TenantRecord
from contracts.topics import EVENTS, resource_key
from services.webhooks.tables import TenantMarkRow
from services.webhooks.unit_of_work import UnitOfWork
from shared.events.emitted import rfc3339
from shared.messaging.transport import Publisher
from shared.sqlite import PlainSql, table_of

log = logging.getLogger(__name__)

#: Days before expiry a token's reminder is due, ascending: the first at or above the days left is due.
MILESTONE_DAYS = (1, 7, 14, 30)
EXPIRED = "expired"
_MARKS = table_of(TenantMarkRow)
_HEADERS = [("content-type", CONTENT_TYPE.encode())]

#: (type, subject, data, time): one event as a change gives it.
Change = tuple[str, str, dict[str, Any], datetime]


def token_changes(mark: Any, record: TenantRecord) -> list[Change]:
    """A token replaced (the new one's event, then the old one's revocation), or deleted."""
    old, new = mark.token_id, record.token
    if new is not None and new.token_id == old:
        return []
    changes: list[Change] = []
    if new is not None:
        changes.append((TOKEN_REPLACED, new.token_id, token_data(new.token_id, new.expires_at, replaced_token_id=old),
                        new.created))
    if old is not None:
        revoked = next((token for token in record.revoked_tokens if token.token_id == old), None)
        reason = revoked.reason if revoked else ("replaced" if new is not None else "deleted")
        changes.append((TOKEN_REVOKED, old, token_data(old, mark.token_expires_at, reason=reason),
                        revoked.revoked_at if revoked else (new.created if new is not None else record.created)))
    return changes


def token_data(token_id: str, expires_at: datetime, **details: Any) -> dict[str, Any]:
    return TokenState(token_id=token_id, expires_at=expires_at, **details).model_dump(mode="json")


def connection_changes(mark: Any, record: TenantRecord, now: datetime) -> list[Change]:
    current = record.connection.model_dump(mode="json")
    if current == mark.connection:
        return []
    data = ConnectionChanged(**current, previous=ConnectionState(**mark.connection)).model_dump(mode="json")
    return [(CONNECTION_CHANGED, record.tenant_id, data, now)]


def due_milestone(expires_at: datetime, now: datetime) -> str | None:
    """The reminder due by ``now``: "expired", a milestone's days ("7"), or None (more than 30 days left)."""
    left = expires_at - now
    if left <= timedelta(0):
        return EXPIRED
    return next((str(days) for days in MILESTONE_DAYS if left <= timedelta(days=days)), None)


def file_mark(sql: PlainSql, mark: dict[str, Any]) -> bool:
    """File a tenant's new mark unless a revision as new is filed already (another copy was first)."""
    now_filed = sql.select_one(_MARKS, "tenant_id = ?", mark["tenant_id"])
    if now_filed is not None and now_filed.revision >= mark["revision"]:
        return False
    sql.insert(_MARKS, mark, on_conflict="REPLACE")
    return True


def mark_reminded(sql: PlainSql, mark: Any, due: str) -> None:
    sql.run("UPDATE tenant_marks SET reminded = ? WHERE tenant_id = ? AND token_id = ?",
            due, mark.tenant_id, mark.token_id)


class TenantEvents:
    def __init__(self, uow: Callable[..., UnitOfWork], publisher: Publisher, clock: Callable[[], datetime]) -> None:
        self._uow, self._publisher, self._clock = uow, publisher, clock

    async def apply(self, records: Sequence[TenantRecord]) -> None:
        """Each record newer than the tenant's mark: its changes published, then the mark moved to it."""
        for record in records:
            mark = await self._mark_of(record.tenant_id)
            if mark is not None and record.revision <= mark.revision:
                continue  # filed already (a repeat, a stale copy, or another copy of the service was first)
            if mark is not None:
                changes = token_changes(mark, record) + connection_changes(mark, record, self._clock())
                await self._publish(record.tenant_id, f"r{record.revision}", changes)
            filing = partial(file_mark, mark=self._mark(record, mark))
            async with self._uow() as uow:  # not held while publishing: the writer is the whole service's
                if await uow.run(filing):
                    await uow.commit()

    async def _mark_of(self, tenant_id: str) -> Any:
        async with self._uow(read_only=True) as uow:
            return await uow.run(lambda sql: sql.select_one(_MARKS, "tenant_id = ?", tenant_id))

    async def remind_due(self) -> int:
        """Publish each token's reminder or expiry that is due and not sent yet; returns how many."""
        now = self._clock()
        async with self._uow(read_only=True) as uow:
            marks = await uow.run(lambda sql: sql.select(_MARKS, "token_id IS NOT NULL"))
        sent = 0
        for mark in marks:
            due = due_milestone(mark.token_expires_at, now)
            if due is None or due == mark.reminded:
                continue
            kind = TOKEN_EXPIRED if due == EXPIRED else TOKEN_EXPIRING
            data = token_data(mark.token_id, mark.token_expires_at, days_left=None if due == EXPIRED else int(due))
            await self._publish(mark.tenant_id, f"{mark.token_id}:{due}",
                                [(kind, mark.token_id, data, mark.token_expires_at if due == EXPIRED else now)])
            async with self._uow() as uow:
                await uow.run(partial(mark_reminded, mark=mark, due=due))
                await uow.commit()
            sent += 1
        return sent

    async def _publish(self, tenant_id: str, occasion: str, changes: Sequence[Change]) -> None:
        for kind, subject, data, at in changes:
            event = cloud_event(kind, event_id=f"{tenant_id}:{occasion}:{kind.removeprefix('scimflow.')}",
                                source=TENANTS, subject=subject, tenant_id=tenant_id, time=rfc3339(at), data=data)
            await self._publisher.send(EVENTS.name, orjson.dumps(event), key=resource_key(tenant_id, subject),
                                       headers=_HEADERS)
            log.info("tenant event published", extra={"tenant_id": tenant_id, "type": kind})

    def _mark(self, record: TenantRecord, mark: Any) -> dict[str, Any]:
        token = record.token
        same_token = mark is not None and token is not None and mark.token_id == token.token_id
        return {"tenant_id": record.tenant_id, "revision": record.revision,
                "token_id": token.token_id if token else None, "token_expires_at": token.expires_at if token else None,
                "connection": record.connection.model_dump(mode="json"),
                "reminded": mark.reminded if same_token else None}
