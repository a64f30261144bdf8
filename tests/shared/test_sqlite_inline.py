"""Statements run on the event loop's thread; waiting for another process's write lock does not (shared/sqlite/locking.py)."""

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

import shared.sqlite.locking
from services.user_store.database import session_factory
from services.user_store.tables import ProcessedMessage
from shared.sqlite import threaded_session_factory
from shared.store import prune_journal

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def database(users_database):
    return users_database


def other_process_lock(database) -> sqlite3.Connection:
    """A second connection holding the write lock, as another replica of the service mid-transaction would."""
    other = sqlite3.connect(database.sync_engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def journal(database, message_id: str) -> None:
    async with session_factory(database)() as session:
        session.add(ProcessedMessage(message_id=message_id, result={}, processed_at=NOW))
        await session.commit()


async def test_a_write_waits_for_the_lock_while_the_loop_keeps_running(database):
    other = other_process_lock(database)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(ticking())
    write = asyncio.create_task(journal(database, "m1"))
    await asyncio.sleep(0.3)
    assert not write.done()  # still waiting for the lock ...
    assert ticks >= 10  # ... and the loop served others meanwhile (a busy handler would have frozen it)
    other.rollback()
    await asyncio.wait_for(write, 5)
    ticker.cancel()
    async with session_factory(database)() as session:
        assert (await session.exec(select(ProcessedMessage.message_id))).all() == ["m1"]
    other.close()


async def test_a_lock_never_released_fails_the_write_after_the_wait(database, monkeypatch):
    monkeypatch.setattr(shared.sqlite.locking, "LOCK_WAIT_SECONDS", 0.2)
    other = other_process_lock(database)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await journal(database, "m1")
    finally:
        other.close()
    await journal(database, "m2")  # the connection went back to the pool in a usable state


async def test_maintenance_runs_on_aiosqlites_thread_beside_inline_sessions(database):
    await journal(database, "recent")
    async with session_factory(database)() as session:
        session.add(ProcessedMessage(message_id="old", result={}, processed_at=NOW - timedelta(days=30)))
        await session.commit()
    assert await prune_journal(threaded_session_factory(database), ProcessedMessage, NOW) == 1
    async with session_factory(database)() as session:
        assert (await session.exec(select(ProcessedMessage.message_id))).all() == ["recent"]
