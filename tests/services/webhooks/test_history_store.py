"""The history's filing (services/webhooks/history.py) on a real SQLite file and a real PostgreSQL database:
each event once, numbered in the order the stream carried it, however a batch is cut; pruning by arrival
forgets the old ones only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from services.webhooks import history
from services.webhooks.migrations import SCHEMA
from services.webhooks.settings import WebhooksSettings
from services.webhooks.tables import EndpointRow
from services.webhooks.unit_of_work import UnitOfWork
from shared.events.emitted import epoch_ms
from shared.settings import StoreLocation
from shared.sqlite import PlainSql, table_of
from shared.store.backend import open_store
from tests.support.webhooks import event

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def location(tmp_path, database) -> StoreLocation:
    """Where the service keeps its history, as its settings would say: its SQLite file, or its schema."""
    return WebhooksSettings(data_dir=tmp_path, **database).store


@pytest.fixture
async def uow(location):
    async with open_store(location, SCHEMA, clock=lambda: NOW) as store:
        yield store.units(UnitOfWork)


async def in_unit(uow, work: Callable[[PlainSql], Any], *, commit: bool = True) -> Any:
    """``work`` in one unit of work (its plain SQL run as the service runs it, on either backend)."""
    async with uow() as unit:
        result = await unit.run(work)
        if commit:
            await unit.commit()
    return result


async def file(uow, events: list[dict], now: datetime = NOW) -> int:
    return (await in_unit(uow, lambda sql: history.store_events(sql, [orjson.dumps(e) for e in events], now))).new


async def stored_ids(uow) -> list[str]:
    return [event_id for (event_id,) in await in_unit(uow, lambda sql: sql.all("SELECT id FROM events ORDER BY seq"))]


async def test_a_repeat_in_the_same_batch_or_a_later_one_is_filed_once(uow):
    first, second, third = (event(f"u{n}", event_id=f"e{n}") for n in range(3))
    assert await file(uow, [first, second, first]) == 2
    assert await file(uow, [second, third]) == 1
    assert await stored_ids(uow) == ["e0", "e1", "e2"]


async def test_events_no_endpoint_wants_queue_nothing_so_the_deliverer_is_not_woken(uow):
    filed = await in_unit(uow, lambda sql: history.store_events(sql, [orjson.dumps(event(f"u{n}")) for n in range(5)],
                                                               NOW), commit=False)
    assert filed == (5, 0)


async def test_events_are_numbered_in_the_order_they_came_across_statement_chunks(uow):
    events = [event(f"u{n % 7}", event_id=f"e{n:04}") for n in range(2 * history.INSERT_ROWS + 50)]
    assert await file(uow, events) == len(events)
    assert await stored_ids(uow) == [e["id"] for e in events]


async def test_a_new_event_is_queued_for_each_endpoint_that_wants_it(uow):
    def endpoints(sql: PlainSql) -> None:
        for endpoint_id in ("hook-a", "hook-b"):
            sql.insert(table_of(EndpointRow), {"id": endpoint_id, "tenant_id": "t1", "url": "https://example.com/hook",
                                               "description": "", "secret": "s", "event_types": [], "enabled": True,
                                               "created": NOW})

    await in_unit(uow, endpoints)
    filed = await in_unit(uow, lambda sql: history.store_events(sql, [orjson.dumps(e) for e in (
        event("u1", event_id="e1"), event("u2", event_id="e2"), event("u1", event_id="e1"))], NOW))
    assert filed == (2, 4)
    queued = await in_unit(uow, lambda sql: sql.all(
        "SELECT endpoint_id, event_seq FROM deliveries ORDER BY endpoint_id, event_seq"))
    assert [endpoint for endpoint, _ in queued] == ["hook-a", "hook-a", "hook-b", "hook-b"]


async def test_pruning_forgets_what_came_before_the_cut_and_its_deliveries(uow):
    await file(uow, [event("u1", event_id="old-1"), event("u2", event_id="old-2")], NOW - timedelta(days=31))
    await file(uow, [event("u3", event_id="new-1")], NOW - timedelta(days=1))
    def prune(sql: PlainSql) -> tuple[int, list]:
        sql.run("INSERT INTO deliveries (endpoint_id, event_seq, key, attempts, next_attempt_ms) VALUES "
                "('hook', 1, 't1:u1', 0, 0), ('hook', 3, 't1:u3', 0, 0)")
        return history.prune(sql, epoch_ms(NOW - timedelta(days=30))), sql.all("SELECT event_seq FROM deliveries")

    pruned, kept = await in_unit(uow, prune)
    assert pruned == 2 and [tuple(row) for row in kept] == [(3,)]
    assert await stored_ids(uow) == ["new-1"]


async def test_pruning_when_everything_is_old_or_nothing_is_there(uow):
    assert await in_unit(uow, lambda sql: history.prune(sql, epoch_ms(NOW)), commit=False) == 0
    await file(uow, [event("u1", event_id="old-1")], NOW - timedelta(days=40))
    assert await in_unit(uow, lambda sql: history.prune(sql, epoch_ms(NOW))) == 1
    assert await stored_ids(uow) == []
