"""The message journal forgets entries older than any redelivery can be (shared/store.py)."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from services.user_store.database import create_engine, create_schema, session_factory
from services.user_store.tables import ProcessedMessage
from shared.store import JOURNAL_RETENTION, journal_pruning, prune_journal

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
