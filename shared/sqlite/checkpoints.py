"""WAL checkpoints off the event loop: the WAL's pages copied into the database file on a thread."""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)


#: How often at most the Checkpointer moves the WAL's pages into the database file while commits come:
#: about as often as SQLite's own automatic checkpoint did under load (every 1 000 pages).
CHECKPOINT_EVERY_SECONDS = 1.0
#: A WAL this long (pages, ~4 KiB each) has not started over for a while: under continuous writes a
#: passive checkpoint never finishes before the next commit, so the WAL would grow for as long as they
#: come. The next checkpoint then waits for the writer (RESTART), briefly holding its next transaction.
WAL_RESTART_PAGES = 4_000
#: How long a RESTART checkpoint waits for other processes' writers and older readers to end (this
#: process's writes wait meanwhile); if they do not, it is tried again an interval later.
RESTART_WAIT_MS = 500


class Checkpointer:
    """Copies the WAL's pages into the database file on a thread of the loop's executor.

    SQLite checkpoints by itself in the COMMIT that takes the WAL past 1 000 pages, on the committing
    thread: the page copies and fsyncs stalled the whole event loop for 0.5-95 ms, ~30 times in a 40 s
    bench run. The Writer's connection turns that off and tells this after each COMMIT; at most every
    CHECKPOINT_EVERY_SECONDS a checkpoint runs on a connection of its own (sqlite3 leaves the GIL while
    SQLite works), never two at once. It is PASSIVE (it waits for nobody) until the WAL is WAL_RESTART_PAGES
    long, then one RESTART lets the WAL start over. A RESTART needs the write lock, and the process's
    writer, always busy under load, would take it back before SQLite's polling for it got a turn: so
    while one runs (it starts just after a COMMIT) the writer begins no transaction; its units wait
    for it as for another process's lock, and the loop serves everything else meanwhile. Other
    processes on the file do the same; a checkpoint running in one makes another's return busy,
    which is harmless.
    """

    def __init__(self, db_path: Path, *, every: float = CHECKPOINT_EVERY_SECONDS,
                 restart_pages: int = WAL_RESTART_PAGES) -> None:
        self._path = db_path
        self._every = every
        self._restart_pages = restart_pages
        self._connection: sqlite3.Connection | None = None
        self._running: asyncio.Future[tuple[int, int, int]] | None = None
        self._last_start = time.monotonic()  # the first one an interval after start: none for a short life
        self._restart_due = False
        self._restarted: asyncio.Event | None = None  # while a RESTART runs: set once it is over

    def after_commit(self) -> None:
        if self._running is not None or time.monotonic() - self._last_start < self._every:
            return
        self._last_start = time.monotonic()
        mode = "RESTART" if self._restart_due else "PASSIVE"
        if mode == "RESTART":
            self._restarted = asyncio.Event()
        self._running = asyncio.ensure_future(asyncio.to_thread(self._checkpoint, mode))
        self._running.add_done_callback(functools.partial(self._done, mode))

    async def writes_may_begin(self) -> None:
        """Return once no RESTART checkpoint is running (at once, mostly)."""
        if self._restarted is not None:
            await self._restarted.wait()

    async def idle(self) -> None:
        """Return once no checkpoint is running."""
        if self._running is not None:
            await asyncio.wait([self._running])

    async def close(self) -> None:
        await self.idle()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _checkpoint(self, mode: str) -> tuple[int, int, int]:
        """On the executor's thread: (busy, pages in the WAL, pages of it now in the database file)."""
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._connection.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
        return self._connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()

    def _done(self, mode: str, running: asyncio.Future[tuple[int, int, int]]) -> None:
        self._running = None
        if self._restarted is not None:
            self._restarted.set()
            self._restarted = None
        if running.cancelled():
            return
        if (error := running.exception()) is not None:
            log.warning("WAL checkpoint of %s failed; a later commit retries", self._path, exc_info=error)
            return
        busy, wal_pages, _copied = running.result()
        restarted = mode == "RESTART" and not busy  # the next write starts the WAL over, whatever its length
        self._restart_due = not restarted and wal_pages >= self._restart_pages
        if self._restart_due and mode == "PASSIVE":
            self._last_start = -float("inf")  # at the next commit, not an interval later

