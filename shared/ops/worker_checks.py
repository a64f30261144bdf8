"""A worker is ready when its consumer has partitions to serve and its database answers.

No partitions: it has not joined its group yet, or the group has more copies than partitions and this
one idles (then it is rightly not taking traffic). The database is asked through a connection of its
own: the probe must not queue behind the service's own writes (nor wait for a free connection of its
pool). A SQLite file is read read-only, in a thread, so that no empty file is made where the database
should be; a PostgreSQL server is asked whether the service's schema is there.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import asyncpg
from sqlalchemy import make_url

from shared.messaging.transport import ConsumerWatch
from shared.ops.server import Readiness
from shared.settings import PostgresSchema, SqliteFile, StoreLocation

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


async def postgres_answers_now(location: PostgresSchema) -> bool:
    """The server takes a connection and the service's schema is there, within DATABASE_WAIT_SECONDS."""
    url = make_url(location.url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        async with asyncio.timeout(DATABASE_WAIT_SECONDS):
            connection = await asyncpg.connect(url)
            try:
                found = await connection.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", location.schema)
            finally:
                await connection.close()
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    return found == 1


async def store_answers_now(location: StoreLocation) -> bool:
    if isinstance(location, SqliteFile):
        return await asyncio.to_thread(database_answers_now, location.path)
    return await postgres_answers_now(location)


def worker_readiness(watch: ConsumerWatch, database: StoreLocation | None) -> Readiness:
    async def missing() -> list[str]:
        absent = [] if watch.assigned_partitions() else [PARTITIONS]
        if database is not None and not await store_answers_now(database):
            absent.append(DATABASE)
        return absent
    return missing
