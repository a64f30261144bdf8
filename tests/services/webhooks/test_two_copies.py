"""Two copies of the webhooks service on one PostgreSQL database (as on two hosts): a queued delivery is made
by one of them only (services/webhooks/delivery.py: the claim skips the rows another copy is claiming), and
an event both file at once (a rebalance of the ingest's group) is filed, and queued, once, and an event one
files while the other prunes the history is kept (history.py).

SQLite needs no such test: one writer claims at a time there. Here copy A's claim is held uncommitted until
copy B has claimed too (or, should B wait on A's rows, for a while), so B claims exactly while A's claim is
in force but not yet visible: the moment a claim without FOR UPDATE SKIP LOCKED would take A's rows again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson
import pytest
from sqlalchemy.util import await_only

from services.webhooks import history
from services.webhooks.delivery import Deliverer, Disabled
from services.webhooks.migrations import SCHEMA
from services.webhooks.settings import WebhooksSettings
from services.webhooks.tables import EndpointRow
from services.webhooks.unit_of_work import UnitOfWork
from shared.events.emitted import epoch_ms
from shared.sqlite import PlainSql, table_of
from shared.store.backend import open_store
from shared.store.clock import utc_now
from tests.support.webhooks import event

DELIVERIES = 8
AT_ONCE = 4  # each copy claims at most this many a round: A the first half, B (rightly) the rest
#: How long A's claim stays uncommitted if B waits on A's rows instead of skipping them (the failure).
HOLD_SECONDS = 2.0


class CountingPoster:
    """An endpoint that answers 200 to everything and counts each event it was sent, by ``webhook-id``."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        self.sent[headers["webhook-id"]] += 1
        return 200, b"ok"


class HeldClaim:
    """Copy A's unit of work: once its statements ran (rows claimed), ``claimed`` is set, and its commit
    waits until B has claimed (``b_done``), at most HOLD_SECONDS."""

    def __init__(self, unit: UnitOfWork, claimed: asyncio.Event, b_done: asyncio.Event) -> None:
        self._unit, self._claimed, self._b_done = unit, claimed, b_done

    async def __aenter__(self) -> HeldClaim:
        await self._unit.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._unit.__aexit__(*exc_info)

    async def run(self, work: Callable[[PlainSql], Any]) -> Any:
        result = await self._unit.run(work)
        self._claimed.set()
        return result

    async def commit(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._b_done.wait(), HOLD_SECONDS)
        await self._unit.commit()


async def told_nobody(_: Disabled) -> None:
    """No endpoint is disabled here: nobody to tell."""


@pytest.fixture
def settings(tmp_path, postgres_url) -> WebhooksSettings:
    return WebhooksSettings(data_dir=tmp_path, database_url=postgres_url, webhooks_concurrency=AT_ONCE)


async def queue_deliveries(units: Callable[..., UnitOfWork]) -> set[str]:
    """An endpoint, and DELIVERIES events of as many subjects queued for it; returns the events' ids."""
    events = [event(f"u{n}", event_id=f"e{n}") for n in range(DELIVERIES)]

    def queue(sql: PlainSql) -> None:
        sql.insert(table_of(EndpointRow), {"id": "hook", "tenant_id": "t1", "url": "https://example.com/hook",
                                           "description": "", "secret": "whsec_c2VjcmV0", "event_types": [],
                                           "enabled": True, "created": datetime.now(UTC)})
        history.store_events(sql, [orjson.dumps(e) for e in events], utc_now())

    async with units() as unit:
        await unit.run(queue)
        await unit.commit()
    return {e["id"] for e in events}


async def test_two_copies_claiming_at_once_make_each_delivery_once(settings):
    async with (open_store(settings.store, SCHEMA) as copy_a, open_store(settings.store, SCHEMA) as copy_b):
        ids = await queue_deliveries(copy_a.units(UnitOfWork))
        a_claimed, b_done = asyncio.Event(), asyncio.Event()
        a_units = copy_a.units(UnitOfWork)
        poster = CountingPoster()
        deliverer_a = Deliverer(lambda *args, **kw: HeldClaim(a_units(*args, **kw), a_claimed, b_done), poster,
                                settings, clock=utc_now, notify=told_nobody)
        deliverer_b = Deliverer(copy_b.units(UnitOfWork), poster, settings, clock=utc_now, notify=told_nobody)

        async def b_claims_while_a_holds() -> int:
            await a_claimed.wait()
            try:
                return await deliverer_b.deliver_due()
            finally:
                b_done.set()

        made = await asyncio.gather(deliverer_a.deliver_due(), b_claims_while_a_holds())
        assert made == [AT_ONCE, DELIVERIES - AT_ONCE]
        async with copy_a.units(UnitOfWork)(read_only=True) as unit:
            left = await unit.run(lambda sql: sql.value("SELECT count(*) FROM deliveries"))
    assert poster.sent == Counter(dict.fromkeys(ids, 1)) and left == 0


async def test_two_copies_filing_one_event_at_once_file_and_queue_it_once(settings):
    async with (open_store(settings.store, SCHEMA) as copy_a, open_store(settings.store, SCHEMA) as copy_b):
        ids = await queue_deliveries(copy_a.units(UnitOfWork))
        again = [orjson.dumps(event("u-again", event_id="e-again"))]
        filing = partial(history.store_events, values=again, now=utc_now())
        async with copy_a.units(UnitOfWork)() as unit_a:
            filed_a = await unit_a.run(filing)
            # B's insert meets A's row not yet committed: it waits for A's commit, then finds the id filed.
            copy_b_files = asyncio.create_task(in_unit(copy_b.units(UnitOfWork), filing))
            await asyncio.sleep(0.2)
            await unit_a.commit()
        filed_b = await copy_b_files
        async with copy_a.units(UnitOfWork)(read_only=True) as unit:
            queued = await unit.run(lambda sql: sql.value("SELECT count(*) FROM deliveries"))
    assert (filed_a, filed_b) == ((1, 1), (0, 0)) and queued == len(ids) + 1


async def in_unit(units: Callable[..., UnitOfWork], work: Callable[[PlainSql], Any]) -> Any:
    async with units() as unit:
        result = await unit.run(work)
        await unit.commit()
    return result


class EventArrivesMidway:
    """Copy A's plain SQL while it prunes: right after its first read, copy B's ingest commits a new event,
    which A's later statements see (READ COMMITTED: each statement its own snapshot) but its first did not."""

    def __init__(self, sql: PlainSql, arrives: Callable[[], Awaitable[object]]) -> None:
        self._sql, self._arrives, self.arrived = sql, arrives, False

    def value(self, statement: str, *params: object) -> Any:
        found = self._sql.value(statement, *params)
        if not self.arrived:
            self.arrived = True
            await_only(self._arrives())  # in the unit's greenlet (PostgresUnitOfWork.run)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sql, name)


async def test_an_event_filed_while_the_other_copy_prunes_is_kept(settings):
    async with (open_store(settings.store, SCHEMA) as copy_a, open_store(settings.store, SCHEMA) as copy_b):
        old = partial(history.store_events, values=[orjson.dumps(event("u-old", event_id="e-old"))],
                      now=utc_now() - timedelta(days=40))
        await in_unit(copy_a.units(UnitOfWork), old)
        new = partial(history.store_events, values=[orjson.dumps(event("u-new", event_id="e-new"))], now=utc_now())
        pruning: list[EventArrivesMidway] = []

        def prune(sql: PlainSql) -> int:
            pruning.append(midway := EventArrivesMidway(sql, lambda: in_unit(copy_b.units(UnitOfWork), new)))
            return history.prune(midway, epoch_ms(utc_now() - timedelta(days=30)))  # type: ignore[arg-type]

        forgotten = await in_unit(copy_a.units(UnitOfWork), prune)
        async with copy_a.units(UnitOfWork)(read_only=True) as unit:
            kept = await unit.run(lambda sql: sql.all("SELECT id FROM events"))
    assert pruning[0].arrived and forgotten == 1 and [tuple(row) for row in kept] == [("e-new",)]
