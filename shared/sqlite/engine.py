"""A service's SQLite file (Database), its connections' set-up, and the sessions made on it.

The driver is the standard library's sqlite3, called on the event loop's own thread. A statement on a
local file takes microseconds; handing each one to a driver thread and back (aiosqlite) cost ~90 µs a
hop and three hops a statement, which made the SQLite driver most of every service's CPU
(bench/RESULTS.md). AsyncSession works on top unchanged: it runs the ORM's synchronous calls in a
greenlet, which here simply never has to wait. The one wait that can be long, another process
holding the write lock, is awaited on the loop (locking.py). Long maintenance runs on aiosqlite's
thread instead (``Database.threaded``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.sqlite.checkpoints import Checkpointer
from shared.sqlite.locking import BUSY_TIMEOUT_MS, LOCK_WAIT_SECONDS, begin_immediate
from shared.sqlite.writer import Writer

PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON")
#: What a function registered with SQLite takes and gives back.
SqlValue = str | bytes | int | float | None


class Database:
    """One SQLite file: what ``session_factory`` binds sessions to (AsyncSession only asks for
    ``sync_engine``), and what a service disposes of when it stops."""

    def __init__(self, db_path: Path) -> None:
        # No pool limit: a limited pool would block the loop's thread (and so everything) when full.
        self.sync_engine: Engine = create_sync_engine(
            f"sqlite:///{db_path}", json_serializer=_dumps, json_deserializer=orjson.loads,
            pool_size=5, max_overflow=-1, connect_args={"check_same_thread": False, "factory": _Connection})
        event.listen(self.sync_engine, "connect", _on_connect)
        event.listen(self.sync_engine, "begin", begin_immediate)
        self._path = db_path
        #: Its file's name without the suffix (``users``): the label of its metrics.
        self.name = db_path.stem
        self._threaded: AsyncEngine | None = None
        self.writer = Writer(self)
        self.checkpoints = Checkpointer(db_path)
        self._idle_readers: list[Connection] = []

    def reader(self) -> Connection:
        """A connection for a snapshot read (Snapshot), from those idle or new; give it back after. Idle
        ones are kept here, checked out of SQLAlchemy's pool for good: its checkout and return cost as
        much as a read by id. A SQLAlchemy connection still, so an ORM session can read on it too."""
        if self._idle_readers:
            return self._idle_readers.pop()
        return self.sync_engine.connect()

    def give_back(self, reader: Connection) -> None:
        self._idle_readers.append(reader)

    @property
    def threaded(self) -> AsyncEngine:
        """The same file through aiosqlite, whose statements run on a thread of their own: for long
        maintenance (pruning old rows) that must not hold up the event loop."""
        if self._threaded is None:
            self._threaded = create_async_engine(f"sqlite+aiosqlite:///{self._path}", json_serializer=_dumps,
                                                 json_deserializer=orjson.loads)
            event.listen(self._threaded.sync_engine, "connect", _on_threaded_connect)
            event.listen(self._threaded.sync_engine, "begin",
                         lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        return self._threaded

    async def dispose(self) -> None:
        self.writer.close()
        await self.checkpoints.close()
        while self._idle_readers:
            self._idle_readers.pop().close()
        self.sync_engine.dispose()
        if self._threaded is not None:
            await self._threaded.dispose()


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """AsyncSession calls this on results that return rows, to read them before the greenlet ends;
        a sqlite3 cursor reads on demand on this same thread, so there is nothing to do."""


class _Connection(sqlite3.Connection):
    # typeshed overloads cursor() on the factory's type; this one only changes the default factory.
    def cursor(self, factory: type[sqlite3.Cursor] = _Cursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)


def create_engine(db_path: Path) -> Database:
    return Database(db_path)


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def _lower(value: SqlValue) -> SqlValue:
    return value.lower() if isinstance(value, str) else value


def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
    for pragma in (*PRAGMAS, f"busy_timeout={BUSY_TIMEOUT_MS}"):
        dbapi_connection.execute(f"PRAGMA {pragma}")
    # SQLite's lower() folds ASCII only; filters on caseExact=false attributes need Python's.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _on_threaded_connect(dbapi_connection, _record: object) -> None:
    """Like _on_connect, on aiosqlite's adapter; its thread may wait in SQLite's busy handler."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (*PRAGMAS, f"busy_timeout={int(LOCK_WAIT_SECONDS * 1000)}"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def session_factory(database: Database) -> async_sessionmaker[AsyncSession]:
    """Sessions for commands: their statements run inline (see the module's docstring)."""
    # Database is no AsyncEngine, but all AsyncSession asks of its bind is ``sync_engine``.
    return async_sessionmaker(database, class_=AsyncSession, expire_on_commit=False)  # type: ignore[call-overload]


def threaded_session_factory(database: Database) -> async_sessionmaker[AsyncSession]:
    """Sessions for long maintenance work, on aiosqlite's thread (Database.threaded)."""
    return async_sessionmaker(database.threaded, class_=AsyncSession, expire_on_commit=False)


class ConnectionBind:
    """What AsyncSession binds to (it only asks for ``sync_engine``): here one connection."""

    def __init__(self, connection: Connection) -> None:
        self.sync_engine = connection


def joining_session(sessions: async_sessionmaker[AsyncSession], writer: Writer) -> AsyncSession:
    """An ORM session inside the unit of work that holds the writer's turn: its own savepoint in the
    unit's, so ``commit`` releases and ``close`` without commit rolls back only what it did."""
    if not writer.connection.in_transaction():
        writer.connection.begin()  # SQLAlchemy learns of the writer's transaction (it issues no BEGIN)
    return sessions(bind=ConnectionBind(writer.connection), join_transaction_mode="create_savepoint")
