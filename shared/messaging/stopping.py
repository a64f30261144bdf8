"""Waits that end at once when a process is asked to stop: a poll in hand (200 ms here, up to the broker's
fetch wait there) would otherwise hold every stop up, in each loop that reads a topic (a test suite's
hundreds of stops added a minute)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol

from shared.messaging.transport import Record


class Fetches(Protocol):
    async def fetch(self, timeout_ms: int) -> list[Record]: ...


async def unless_stopped(waiting: Awaitable[Any], stop: asyncio.Event) -> bool:
    """Wait for ``waiting`` or ``stop``, whichever comes first; True when ``waiting`` finished."""
    task = asyncio.ensure_future(waiting)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if task.done():
        return True
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return False


async def fetch_unless_stopped(source: Fetches, stop: asyncio.Event, timeout_ms: int) -> Sequence[Record]:
    """A poll that ends at once when asked to stop, with nothing: a group consumer's records it had not
    handed over are redelivered; a reader's are of no use to a process that stops."""
    fetch = asyncio.ensure_future(source.fetch(timeout_ms))
    return fetch.result() if await unless_stopped(fetch, stop) else []
