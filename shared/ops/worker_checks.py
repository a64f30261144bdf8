"""A worker is ready when its consumer has partitions to serve and its database answers.

No partitions: it has not joined its group yet, or the group has more copies than partitions and this
one idles (then it is rightly not taking traffic). The database is asked through a connection of its
own, read-only, in a thread: the probe must not queue behind the service's own writes, nor create an
empty file where the database should be.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from shared.messaging.transport import ConsumerWatch
from shared.ops.server import Readiness

PARTITIONS = "partitions"
DATABASE = "database"
#: How long the probe waits on a database locked by a write (SQLite's busy timeout).
DATABASE_WAIT_SECONDS = 1.0


def database_answers_now(path: Path) -> bool:
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=DATABASE_WAIT_SECONDS)) as db:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the file, unlike SELECT 1
    except sqlite3.Error:
        return False
    return True


def worker_readiness(watch: ConsumerWatch, database: Path | None) -> Readiness:
    async def missing() -> list[str]:
        absent = [] if watch.assigned_partitions() else [PARTITIONS]
        if database is not None and not await asyncio.to_thread(database_answers_now, database):
            absent.append(DATABASE)
        return absent
    return missing
