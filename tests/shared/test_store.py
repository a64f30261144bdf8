"""The message journal forgets entries older than any redelivery can be; units of work are freed as
they end (shared/store/)."""

import asyncio
import weakref
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from contracts.system.v1 import Pong
from services.user_store.database import create_engine, create_schema, session_factory
from services.user_store.tables import ProcessedMessage
from services.user_store.unit_of_work import UnitOfWork
from shared.store import JOURNAL_RETENTION, journal_pruning, prune_journal
from tests.support.refcounting import cycle_collector_off

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def journal_with(tmp_path, ages: dict[str, timedelta]):
    engine = create_engine(tmp_path / "users.sqlite3")
    await create_schema(engine)
    sessions = session_factory(engine)
    async with sessions() as session:
        for message_id, age in ages.items():
            session.add(ProcessedMessage(message_id=message_id, result={}, processed_at=NOW - age))
        await session.commit()
    return engine, sessions


async def remaining(sessions) -> set[str]:
    async with sessions() as session:
        return set((await session.exec(select(ProcessedMessage.message_id))).all())


async def test_entries_past_the_retention_are_forgotten_and_recent_ones_kept(tmp_path):
    engine, sessions = await journal_with(tmp_path, {
        "old": JOURNAL_RETENTION + timedelta(minutes=1), "recent": JOURNAL_RETENTION - timedelta(minutes=1),
        "new": timedelta(0)})
    try:
        assert await prune_journal(sessions, ProcessedMessage, NOW) == 1
        assert await remaining(sessions) == {"recent", "new"}
    finally:
        await engine.dispose()


async def test_a_running_service_prunes_at_start(tmp_path):
    engine, sessions = await journal_with(tmp_path, {"old": JOURNAL_RETENTION * 2, "new": timedelta(0)})
    try:
        async with journal_pruning(sessions, ProcessedMessage, lambda: NOW):
            for _ in range(200):  # the first round runs on the loop's next turns
                if await remaining(sessions) == {"new"}:
                    break
                await asyncio.sleep(0.01)
        assert await remaining(sessions) == {"new"}
    finally:
        await engine.dispose()


async def test_a_unit_of_work_and_its_repositories_are_freed_as_it_ends_not_by_the_cycle_collector(tmp_path):
    """A unit per command: left to the cycle collector, units were ~5 % of a store's CPU and its pauses."""
    engine = create_engine(tmp_path / "users.sqlite3")
    await create_schema(engine)
    try:
        with cycle_collector_off():
            for read_only in (False, True):
                uow = UnitOfWork(session_factory(engine), read_only=read_only)
                async with uow:
                    if not read_only:
                        await uow.journal.record_result("m-1", Pong(service="s", instance="i"))
                        await uow.commit()
                    else:
                        assert await uow.journal.result_of("m-1", Pong) == Pong(service="s", instance="i")
                        assert await uow.users.get("acme", "no-such-user") is None
                unit_of_work, journal = weakref.ref(uow), weakref.ref(uow.journal)
                del uow
                assert unit_of_work() is None and journal() is None
    finally:
        await engine.dispose()
