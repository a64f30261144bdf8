"""Taking SQLite's write lock with BEGIN IMMEDIATE, waiting for another process's on the event loop.

Several processes of one service may share its file. BEGIN IMMEDIATE takes the write lock at the start
of a transaction, so two writers queue instead of one failing mid-transaction with "database is
locked" (SQLite cannot upgrade a read lock while another writer waits). The one wait that can be long,
another process holding the write lock, is awaited on the loop instead of slept in SQLite's busy
handler, so the service keeps serving its other work meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.util.concurrency import await_, in_greenlet

#: For the rare SQLITE_BUSY inside a transaction (WAL recovery after a crash); short, since it blocks the loop.
BUSY_TIMEOUT_MS = 200
#: How long a transaction waits for another process's write lock before its command fails.
LOCK_WAIT_SECONDS = 10.0


def raw_connection(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a SQLAlchemy one (the engine's driver is the standard library's)."""
    raw = connection.connection.dbapi_connection
    if not isinstance(raw, sqlite3.Connection):  # None once SQLAlchemy has invalidated it
        raise TypeError(f"not a live sqlite3 connection: {raw!r}")
    return raw


def begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE, waiting for another process's write lock without blocking the event loop."""
    raw = raw_connection(connection)
    if raw.in_transaction:
        return  # the process's Writer began it itself (an ORM session joining one of its units of work)
    with _no_busy_wait(raw):
        for pause in _lock_waits():
            if _try_begin_immediate(raw):
                return
            _pause(pause)
        raw.execute("BEGIN IMMEDIATE")  # the last try: raises "database is locked"


async def begin_immediate_on_loop(raw: sqlite3.Connection) -> None:
    """begin_immediate for the Writer's raw connection, from a coroutine."""
    with _no_busy_wait(raw):
        for pause in _lock_waits():
            if _try_begin_immediate(raw):
                return
            await asyncio.sleep(pause)
        raw.execute("BEGIN IMMEDIATE")


@contextmanager
def _no_busy_wait(raw: sqlite3.Connection) -> Iterator[None]:
    """Fail at once when locked while inside: the wait for the lock is the loop's, not SQLite's."""
    raw.execute("PRAGMA busy_timeout=0")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _lock_waits() -> Iterator[float]:
    """Pauses between tries for another process's write lock, growing, for up to LOCK_WAIT_SECONDS."""
    deadline, pause = time.monotonic() + LOCK_WAIT_SECONDS, 0.001
    while time.monotonic() <= deadline:
        yield pause
        pause = min(pause * 2, 0.05)


def _try_begin_immediate(raw: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE if no other connection holds the write lock; False if one does."""
    try:
        raw.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
            raise
        return False


def _pause(seconds: float) -> None:
    """Sleep on the event loop when called from a session (a greenlet), else in this thread."""
    if in_greenlet():
        await_(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)
