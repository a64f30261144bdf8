"""The tenants' SCIM call logs (contracts/sync_status/scim_log_v1): the gateway's batches in, a tenant
admin's pages out ("why did Okta's last call fail?").

Per tenant only the newest KEEP_CALLS calls are kept: each batch trims the tenants it names in its own
transaction, so a tenant whose IdP re-sends everything every cycle (Entra, ~40 minutes) holds a
bounded number of rows between the hourly prunings, which drop calls older than
``SCIMFLOW_SCIM_LOG_DAYS`` (bootstrap.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from types import SimpleNamespace

from contracts import MessageMeta
from contracts.sync_status.scim_log_v1 import (
    ListScimCalls,
    RecordScimCalls,
    ScimCall,
    ScimCallEntry,
    ScimCallPage,
    ScimCallsRecorded,
)
from services.sync_status.tables import ScimCallRow
from shared.messaging.dispatch import tenant_of
from shared.sqlite import PlainSql, table_of
from shared.store import StoreDeps, UnitOfWork, as_utc

Deps = StoreDeps[UnitOfWork]

#: Calls kept per tenant: the admin reads the latest few, and a failure among them.
KEEP_CALLS = 1000

_CALLS = table_of(ScimCallRow)
#: Newest first, ties in arrival order: SQLite's rowid. PostgreSQL keeps no arrival order, so there a tie
#: (two calls logged in the same microsecond) goes by call id.
_NEWEST_FIRST = {"sqlite": "at DESC, rowid DESC", "postgresql": "at DESC, call_id DESC"}
#: The tenant's calls past its newest KEEP_CALLS, found by walking ix_scim_calls_recent newest first.
_TRIM = {
    "sqlite": ("DELETE FROM scim_calls WHERE rowid IN (SELECT rowid FROM scim_calls WHERE tenant_id = ? "
               "ORDER BY at DESC, rowid DESC LIMIT -1 OFFSET ?)"),
    "postgresql": ("DELETE FROM scim_calls WHERE call_id IN (SELECT call_id FROM scim_calls WHERE tenant_id = ? "
                   "ORDER BY at DESC, call_id DESC OFFSET ?)"),
}
_OUTCOMES = {None: "", "failed": " AND status >= 400", "succeeded": " AND status < 400"}


def row_of(call: ScimCall) -> dict[str, object]:
    return {"call_id": call.call_id, "tenant_id": call.tenant_id, "at": as_utc(call.at), "method": call.method,
            "path": call.path, "status": call.status, "detail": call.detail, "duration_ms": call.duration_ms}


async def record_scim_calls(cmd: RecordScimCalls, meta: MessageMeta, deps: Deps) -> ScimCallsRecorded:
    """A batch of calls of any tenants, in one transaction; a call stored before (a redelivery) is skipped."""
    async with deps.uow() as uow:
        recorded = await uow.run(partial(store_calls, cmd.calls))
        await uow.commit()
    return ScimCallsRecorded(recorded=recorded, duplicates=len(cmd.calls) - recorded)


def store_calls(calls: Sequence[ScimCall], sql: PlainSql) -> int:
    """Store the calls not stored before, trim their tenants' logs; how many were stored."""
    recorded = sum(sql.insert(_CALLS, row_of(call), on_conflict="IGNORE") for call in calls)
    for tenant_id in sorted({call.tenant_id for call in calls}):
        sql.run(_TRIM[sql.dialect.name], tenant_id, KEEP_CALLS)
    return recorded


def entry_of(row: SimpleNamespace) -> ScimCallEntry:
    return ScimCallEntry(at=as_utc(row.at), method=row.method, path=row.path, status=row.status,
                         detail=row.detail, duration_ms=row.duration_ms)


async def list_scim_calls(cmd: ListScimCalls, meta: MessageMeta, deps: Deps) -> ScimCallPage:
    """Newest first (the gateway's clock; ties in arrival order); ``outcome`` failed: status >= 400."""
    async with deps.uow(read_only=True) as uow:
        return await uow.run(partial(page_of_calls, tenant_of(meta), cmd))


def page_of_calls(tenant_id: str, cmd: ListScimCalls, sql: PlainSql) -> ScimCallPage:
    where = "tenant_id = ?" + _OUTCOMES[cmd.outcome]
    (total,) = sql.one(f"SELECT count(*) FROM scim_calls WHERE {where}", tenant_id) or (0,)
    rows = sql.select(_CALLS, f"{where} ORDER BY {_NEWEST_FIRST[sql.dialect.name]} LIMIT ? OFFSET ?",
                      tenant_id, cmd.count, cmd.start_index - 1)
    return ScimCallPage(total_results=total, start_index=cmd.start_index, calls=[entry_of(row) for row in rows])
