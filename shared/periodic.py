"""Background work that repeats while a service runs: pruning, sweeps, reminders.

Its own module because a service without a database (the gateway) schedules work too, and should not
import the store to do it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

log = logging.getLogger(__name__)


@asynccontextmanager
async def periodically(what: str, every: timedelta, work: Callable[[], Awaitable[object]]) -> AsyncIterator[None]:
    """While the block runs, ``work`` runs at its start and then every ``every``; a failed round is
    logged and the next one tries again (a background task that died would silently stop)."""
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            try:
                await work()
            except Exception:
                log.exception("%s failed; the next round retries", what)
            with contextlib.suppress(TimeoutError):  # not wait_for: in 3.11 it can lose a cancel (gh-86296)
                async with asyncio.timeout(every.total_seconds()):
                    await stop.wait()

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        stop.set()
        await task
