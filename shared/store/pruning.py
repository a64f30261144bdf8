"""Old rows forgotten: the message journal past any redelivery, a service's history past its keeping."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.periodic import periodically

log = logging.getLogger(__name__)


#: A redelivery comes within minutes (commands carry deadlines of seconds; an expired one is dropped
#: unanswered), so a week of journal answers every redelivery with room to spare.
JOURNAL_RETENTION = timedelta(days=7)

async def prune_journal(sessions: async_sessionmaker[AsyncSession], table: Any, now: datetime) -> int:
    """Forget journal entries older than any redelivery can be; returns how many."""
    return await delete_older(sessions, table.processed_at, now - JOURNAL_RETENTION)


async def delete_older(sessions: async_sessionmaker[AsyncSession], column: Any, before: datetime) -> int:
    """Delete the rows whose ``column`` (a UTC time) is before ``before``; returns how many."""
    async with sessions() as session:
        result = await session.exec(delete(column.class_).where(col(column) < before))
        await session.commit()
    return result.rowcount


def journal_pruning(sessions: async_sessionmaker[AsyncSession], table: Any, clock: Callable[[], datetime],
                    every: timedelta = timedelta(hours=1)):
    """While the service runs, its message journal is pruned at start and then every ``every``."""
    async def prune() -> None:
        log.info("journal pruned", extra={"forgotten": await prune_journal(sessions, table, clock())})

    return periodically("journal pruning", every, prune)
