"""The history's filing (services/webhooks/history.py) on a real SQLite file: each event once, numbered in
the order the stream carried it, however a batch is cut; pruning by arrival forgets the old ones only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import orjson
import pytest

from services.webhooks import history
from services.webhooks.tables import TABLES
from services.webhooks.unit_of_work import UnitOfWork
from shared.events.emitted import epoch_ms
from shared.sqlite import create_engine, create_tables, session_factory
from tests.support.webhooks import event

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def uow(tmp_path):
    engine = create_engine(tmp_path / "webhooks.sqlite3")
    await create_tables(engine, TABLES)
    yield partial(UnitOfWork, session_factory(engine), clock=lambda: NOW)
    await engine.dispose()


async def file(uow, events: list[dict], now: datetime = NOW) -> int:
    async with uow() as unit:
        new = history.store_events(await unit.sql(), [orjson.dumps(e) for e in events], now).new
        await unit.commit()
    return new


async def stored_ids(uow) -> list[str]:
    async with uow() as unit:
        return [event_id for (event_id,) in (await unit.sql()).all("SELECT id FROM events ORDER BY seq")]


async def test_a_repeat_in_the_same_batch_or_a_later_one_is_filed_once(uow):
    first, second, third = (event(f"u{n}", event_id=f"e{n}") for n in range(3))
    assert await file(uow, [first, second, first]) == 2
    assert await file(uow, [second, third]) == 1
    assert await stored_ids(uow) == ["e0", "e1", "e2"]


async def test_events_no_endpoint_wants_queue_nothing_so_the_deliverer_is_not_woken(uow):
    async with uow() as unit:
        filed = history.store_events(await unit.sql(), [orjson.dumps(event(f"u{n}")) for n in range(5)], NOW)
    assert filed == (5, 0)


async def test_events_are_numbered_in_the_order_they_came_across_statement_chunks(uow):
    events = [event(f"u{n % 7}", event_id=f"e{n:04}") for n in range(2 * history.INSERT_ROWS + 50)]
    assert await file(uow, events) == len(events)
    assert await stored_ids(uow) == [e["id"] for e in events]


async def test_a_new_event_is_queued_for_each_endpoint_that_wants_it(uow):
    async with uow() as unit:
        sql = await unit.sql()
        for endpoint_id in ("hook-a", "hook-b"):
            sql.run("INSERT INTO endpoints (id, tenant_id, url, description, secret, event_types, enabled, created)"
                    " VALUES (?, 't1', 'https://example.com/hook', '', 's', '[]', 1, ?)", endpoint_id, NOW.isoformat())
        await unit.commit()
    async with uow() as unit:
        filed = history.store_events(await unit.sql(), [orjson.dumps(e) for e in (
            event("u1", event_id="e1"), event("u2", event_id="e2"), event("u1", event_id="e1"))], NOW)
        await unit.commit()
    assert filed == (2, 4)
    async with uow() as unit:
        queued = (await unit.sql()).all("SELECT endpoint_id, event_seq FROM deliveries ORDER BY endpoint_id, event_seq")
    assert [endpoint for endpoint, _ in queued] == ["hook-a", "hook-a", "hook-b", "hook-b"]


async def test_pruning_forgets_what_came_before_the_cut_and_its_deliveries(uow):
    await file(uow, [event("u1", event_id="old-1"), event("u2", event_id="old-2")], NOW - timedelta(days=31))
    await file(uow, [event("u3", event_id="new-1")], NOW - timedelta(days=1))
    async with uow() as unit:
        sql = await unit.sql()
        sql.run("INSERT INTO deliveries (endpoint_id, event_seq, key, attempts, next_attempt_ms) VALUES "
                "('hook', 1, 't1:u1', 0, 0), ('hook', 3, 't1:u3', 0, 0)")
        assert history.prune(sql, epoch_ms(NOW - timedelta(days=30))) == 2
        assert sql.all("SELECT event_seq FROM deliveries") == [(3,)]
        await unit.commit()
    assert await stored_ids(uow) == ["new-1"]


async def test_pruning_when_everything_is_old_or_nothing_is_there(uow):
    async with uow() as unit:
        assert history.prune(await unit.sql(), epoch_ms(NOW)) == 0
    await file(uow, [event("u1", event_id="old-1")], NOW - timedelta(days=40))
    async with uow() as unit:
        assert history.prune(await unit.sql(), epoch_ms(NOW)) == 1
        await unit.commit()
    assert await stored_ids(uow) == []
