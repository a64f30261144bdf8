"""The sync-status reporter keeps each tenant's newest SCIM calls from the gateways' batches and pages
them for the admin, newest first (services/sync_status/scim_log.py, on a real SQLite file and on a real
PostgreSQL database)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from contracts import MessageMeta
from contracts.sync_status.scim_log_v1 import (
    ListScimCalls,
    RecordScimCalls,
    ScimCall,
    ScimCallPage,
    ScimCallsRecorded,
)
from services.sync_status import scim_log
from services.sync_status.bootstrap import bootstrap
from services.sync_status.settings import SyncStatusSettings
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
IDENTITY = ServiceIdentity("sync_status", "t")


@pytest.fixture
async def dispatch(sync_status_settings):
    async with bootstrap(sync_status_settings, IDENTITY) as dispatcher:
        yield dispatcher


def call(n: int, status: int = 200, tenant: str = "t1", detail: str | None = None, **values) -> ScimCall:
    """The n-th call of a test, ``n`` seconds after T0 (a gateway's call ids: prefix and counter)."""
    return ScimCall(call_id=f"gw-{tenant}-{n}", tenant_id=tenant, at=T0 + timedelta(seconds=n), method="GET",
                    path=f"/scim/v2/Users/{n}", status=status, detail=detail, duration_ms=n, **values)


async def record(dispatch, *calls: ScimCall) -> ScimCallsRecorded:
    """As the gateway casts them: calls of any tenants, no tenant header."""
    reply = await dispatch(RecordScimCalls(calls=list(calls)), MessageMeta(message_type="x"))
    return unwrap(reply, ScimCallsRecorded)


async def page(dispatch, tenant: str = "t1", **query) -> ScimCallPage:
    return unwrap(await dispatch(ListScimCalls(**query), MessageMeta(message_type="x", tenant_id=tenant)),
                  ScimCallPage)


def paths(found: ScimCallPage) -> list[str]:
    return [entry.path for entry in found.calls]


async def test_calls_come_back_newest_first_whatever_order_they_arrived_in(dispatch):
    await record(dispatch, call(2), call(0, 401, detail="The bearer token expired"))
    await record(dispatch, call(1, 409, detail="userName taken"))
    found = await page(dispatch)
    assert (found.total_results, paths(found)) == (3, ["/scim/v2/Users/2", "/scim/v2/Users/1", "/scim/v2/Users/0"])
    latest = found.calls[1]
    assert (latest.at, latest.method, latest.status, latest.detail, latest.duration_ms) == (
        T0 + timedelta(seconds=1), "GET", 409, "userName taken", 1)


async def test_pages_and_the_outcome_filter(dispatch):
    await record(dispatch, *(call(n, 400 if n % 2 else 200, detail="bad" if n % 2 else None) for n in range(7)))
    second = await page(dispatch, start_index=3, count=2)
    assert (second.total_results, second.start_index, paths(second)) == (7, 3, ["/scim/v2/Users/4",
                                                                                 "/scim/v2/Users/3"])
    failed = await page(dispatch, outcome="failed")
    assert (failed.total_results, [c.status for c in failed.calls]) == (3, [400, 400, 400])
    succeeded = await page(dispatch, outcome="succeeded", count=1)
    assert (succeeded.total_results, paths(succeeded)) == (4, ["/scim/v2/Users/6"])
    assert (await page(dispatch, count=0)).calls == []


async def test_a_redelivered_batch_is_stored_once(dispatch):
    batch = [call(0), call(1, 500, detail="Internal server error")]
    assert await record(dispatch, *batch) == ScimCallsRecorded(recorded=2, duplicates=0)
    assert await record(dispatch, *batch, call(2)) == ScimCallsRecorded(recorded=1, duplicates=2)
    assert (await page(dispatch)).total_results == 3


async def test_tenants_stay_apart(dispatch):
    await record(dispatch, call(0, tenant="t1"), call(1, tenant="t2"))
    assert [c.duration_ms for c in (await page(dispatch, "t2")).calls] == [1]


async def test_only_the_newest_calls_of_a_tenant_are_kept(dispatch, monkeypatch):
    monkeypatch.setattr(scim_log, "KEEP_CALLS", 3)
    await record(dispatch, *(call(n) for n in range(4)), call(0, tenant="t2"))
    await record(dispatch, call(5), call(4))
    assert paths(await page(dispatch)) == ["/scim/v2/Users/5", "/scim/v2/Users/4", "/scim/v2/Users/3"]
    assert (await page(dispatch, "t2")).total_results == 1  # another tenant's calls are not counted against it


async def test_calls_older_than_the_retention_are_pruned(sync_status_settings):
    settings = sync_status_settings.model_copy(update={"scim_log_days": 30})
    async with bootstrap(settings, IDENTITY, clock=lambda: T0) as dispatch:
        await record(dispatch, call(0), call(31 * 24 * 3600))
    async with bootstrap(settings, IDENTITY, clock=lambda: T0 + timedelta(days=60)) as dispatch:
        async with asyncio.timeout(5):  # the pruning runs as the service starts, on its own task
            while (await page(dispatch)).total_results != 1:
                await asyncio.sleep(0.01)
        assert paths(await page(dispatch)) == [f"/scim/v2/Users/{31 * 24 * 3600}"]


@pytest.mark.parametrize("sql", [
    "SELECT call_id FROM scim_calls WHERE tenant_id = ? AND status >= 400 ORDER BY at DESC, rowid DESC LIMIT 50",
    scim_log._TRIM["sqlite"].replace("OFFSET ?", "OFFSET 1000"),
])
async def test_a_page_and_the_trim_walk_the_tenants_index_without_sorting(tmp_path, sql):
    """SQLite's query plan (on PostgreSQL the planner's choice depends on the table's statistics)."""
    async with bootstrap(SyncStatusSettings(data_dir=tmp_path), IDENTITY):
        pass
    with sqlite3.connect(tmp_path / "sync_status" / "sync_status.sqlite3") as connection:
        plan = " ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", ("t1",)))
    assert "ix_scim_calls_recent (tenant_id=?)" in plan and "TEMP B-TREE" not in plan
