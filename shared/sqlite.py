"""SQLite for the services that keep state in a file: WAL, BEGIN IMMEDIATE, statements run inline.

Several processes of one service may share its file. BEGIN IMMEDIATE takes the write lock at the start
of a transaction, so two writers queue instead of one failing mid-transaction with "database is
locked" (SQLite cannot upgrade a read lock while another writer waits).

The driver is the standard library's sqlite3, called on the event loop's own thread. A statement on a
local file takes microseconds; handing each one to a driver thread and back (aiosqlite) cost ~90 µs a
hop and three hops a statement, which made the SQLite driver most of every service's CPU (issue 8,
bench/RESULTS.md). AsyncSession works on top unchanged: it runs the ORM's synchronous calls in a
greenlet, which here simply never has to wait. The one wait that can be long, another process
holding the write lock, is awaited on the loop instead of slept in SQLite's busy handler
(_begin_immediate), so the service keeps serving its other work meanwhile.

The statements every command runs (journals, seat intents, seats, status rows, reads by id) skip the
ORM altogether (PlainSql): there the ORM's own work, not SQLite's, was most of each command's CPU.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Column, Connection, Dialect, Engine, Table, event, inspect
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util.concurrency import await_, in_greenlet
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON")
#: For the rare SQLITE_BUSY inside a transaction (WAL recovery after a crash); short, since it blocks the loop.
BUSY_TIMEOUT_MS = 200
#: How long a transaction waits for another process's write lock before its command fails.
LOCK_WAIT_SECONDS = 10.0


class Database:
    """One SQLite file: what ``session_factory`` binds sessions to (AsyncSession only asks for
    ``sync_engine``), and what a service disposes of when it stops."""

    def __init__(self, db_path: Path) -> None:
        # No pool limit: a limited pool would block the loop's thread (and so everything) when full.
        self.sync_engine: Engine = create_sync_engine(
            f"sqlite:///{db_path}", json_serializer=_dumps, json_deserializer=orjson.loads,
            pool_size=5, max_overflow=-1, connect_args={"check_same_thread": False, "factory": _Connection})
        event.listen(self.sync_engine, "connect", _on_connect)
        event.listen(self.sync_engine, "begin", _begin_immediate)
        self._path = db_path
        self._threaded: AsyncEngine | None = None

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
        self.sync_engine.dispose()
        if self._threaded is not None:
            await self._threaded.dispose()


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """AsyncSession calls this on results that return rows, to read them before the greenlet ends;
        a sqlite3 cursor reads on demand on this same thread, so there is nothing to do."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory=_Cursor):  # type: ignore[override]
        return super().cursor(factory)


def create_engine(db_path: Path) -> Database:
    return Database(db_path)


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def _lower(value: object) -> object:
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


def _begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE, waiting for another process's write lock without blocking the event loop."""
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout=0")  # fail at once when locked: the wait below is the loop's
    try:
        deadline, pause = time.monotonic() + LOCK_WAIT_SECONDS, 0.001
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
            _pause(pause)
            pause = min(pause * 2, 0.05)
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _pause(seconds: float) -> None:
    """Sleep on the event loop when called from a session (a greenlet), else in this thread."""
    if in_greenlet():
        await_(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)


async def create_tables(database: Database, tables: Sequence[type[SQLModel]]) -> None:
    """Create a service's own tables (only those: every service's models share SQLModel.metadata), and
    add the columns a newer version gave an existing table."""
    with database.sync_engine.begin() as connection:
        SQLModel.metadata.create_all(connection, tables=[t.__table__ for t in tables])
        _add_new_columns(connection, [t.__table__ for t in tables])


def _add_new_columns(connection: Connection, tables: Sequence[Table]) -> None:
    """Additive upgrades only (a new nullable or defaulted column): an upgraded service keeps its data.
    Anything else (renames, type changes) needs a migration of its own."""
    for table in tables:
        existing = {column["name"] for column in inspect(connection).get_columns(table.name)}
        for column in table.columns:
            if column.name not in existing:
                kind = column.type.compile(connection.dialect)
                default = _literal_default(column)
                connection.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                                           + (f" NOT NULL DEFAULT {default}" if default is not None else ""))


def _literal_default(column: Column) -> str | None:
    """A constant Python-side default as SQL (existing rows take it); None when there is none."""
    value = getattr(column.default, "arg", None)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


def session_factory(database: Database) -> async_sessionmaker[AsyncSession]:
    """Sessions for commands: their statements run inline (see the module's docstring)."""
    return async_sessionmaker(database, class_=AsyncSession, expire_on_commit=False)  # type: ignore[arg-type]


def threaded_session_factory(database: Database) -> async_sessionmaker[AsyncSession]:
    """Sessions for long maintenance work, on aiosqlite's thread (Database.threaded)."""
    return async_sessionmaker(database.threaded, class_=AsyncSession, expire_on_commit=False)


Processors = dict[str, Callable[[Any], Any] | None]


class PlainSql:
    """Plain SQL in a unit of work's transaction, for the statements every command runs (the journal,
    the seat intents): an ORM statement costs ~130 µs of CPU here, the same one in plain SQL ~3 µs
    (bench/RESULTS.md). Values are bound through the columns' own SQLAlchemy types, so what it writes
    reads back the same through the ORM. ORM objects already loaded do not see what it changes: use
    it for rows the unit of work does not also hold as ORM objects."""

    def __init__(self, connection: sqlite3.Connection, dialect: Dialect) -> None:
        self._connection, self._dialect = connection, dialect

    def one(self, sql: str, *params: object) -> tuple | None:
        return self._connection.execute(sql, params).fetchone()

    def all(self, sql: str, *params: object) -> list[tuple]:
        return self._connection.execute(sql, params).fetchall()

    def run(self, sql: str, *params: object) -> int:
        """Run a statement that changes rows; returns how many it changed."""
        return self._connection.execute(sql, params).rowcount

    def select(self, table: Table, where: str, *params: object) -> list[SimpleNamespace]:
        """The rows of ``table`` matching ``where`` (a LIMIT may follow it), each column an attribute
        converted as the ORM would (JSON decoded, datetimes in UTC): read-only rows at a fraction of an
        ORM object's cost."""
        names = tuple(table.columns.keys())
        readers = [_readers(table, self._dialect)[name] for name in names]
        rows = self.all(_select_sql(table.name, names, where), *params)
        return [SimpleNamespace(**{name: value if read is None or value is None else read(value)
                                   for name, read, value in zip(names, readers, row, strict=True)})
                for row in rows]

    def select_one(self, table: Table, where: str, *params: object) -> SimpleNamespace | None:
        """The first row ``select`` finds, or None."""
        rows = self.select(table, where, *params)
        return rows[0] if rows else None

    def insert(self, table: Table, values: Mapping[str, object], *,
               on_conflict: Literal["IGNORE", "REPLACE"] | None = None) -> bool:
        """Insert one row (its values converted as the ORM would); False when ``on_conflict="IGNORE"``
        skipped it. "REPLACE" writes the whole row over the one with the same key (an upsert)."""
        return self.run(_insert_sql(table.name, tuple(values), on_conflict), *self._bound(table, values)) == 1

    def update(self, table: Table, values: Mapping[str, object], key: Sequence[str]) -> int:
        """Write ``values`` on the row whose ``key`` columns (part of ``values``) match; returns how many
        rows changed (0: not there)."""
        names = tuple(name for name in values if name not in key)
        params = self._bound(table, {**{name: values[name] for name in names},
                                     **{name: values[name] for name in key}})
        return self.run(_update_sql(table.name, names, tuple(key)), *params)

    def _bound(self, table: Table, values: Mapping[str, object]) -> list[object]:
        binders = _binders(table, self._dialect)
        return [value if (bind := binders[name]) is None or value is None else bind(value)
                for name, value in values.items()]


#: Per dialect (an engine's own: its JSON serializer), per table: each column's bind and result processors.
_PROCESSORS: WeakKeyDictionary[Dialect, dict[Table, tuple[Processors, Processors]]] = WeakKeyDictionary()


def _binders(table: Table, dialect: Dialect) -> Processors:
    return _processors(table, dialect)[0]


def _readers(table: Table, dialect: Dialect) -> Processors:
    return _processors(table, dialect)[1]


def _processors(table: Table, dialect: Dialect) -> tuple[Processors, Processors]:
    per_table = _PROCESSORS.setdefault(dialect, {})
    if (found := per_table.get(table)) is None:
        types = {column.name: column.type.dialect_impl(dialect) for column in table.columns}
        found = per_table[table] = ({name: kind.bind_processor(dialect) for name, kind in types.items()},
                                    {name: kind.result_processor(dialect, None) for name, kind in types.items()})
    return found


@functools.cache
def _select_sql(table: str, names: tuple[str, ...], where: str) -> str:
    columns = ", ".join(f'"{name}"' for name in names)
    return f'SELECT {columns} FROM "{table}" WHERE {where}'


@functools.cache
def _insert_sql(table: str, names: tuple[str, ...], on_conflict: str | None) -> str:
    columns = ", ".join(f'"{name}"' for name in names)
    return (f'INSERT {f"OR {on_conflict} " if on_conflict else ""}INTO "{table}" ({columns}) '
            f'VALUES ({placeholders(len(names))})')


@functools.cache
def _update_sql(table: str, names: tuple[str, ...], key: tuple[str, ...]) -> str:
    assignments = ", ".join(f'"{name}" = ?' for name in names)
    return f'UPDATE "{table}" SET {assignments} WHERE ' + " AND ".join(f'"{name}" = ?' for name in key)


def placeholders(count: int) -> str:
    """``?, ?, ?`` for an ``IN (...)`` of ``count`` values."""
    return ", ".join("?" * count)


def new_row(model: type[SQLModel], **values: object) -> SimpleNamespace:
    """A row not stored yet, as PlainSql reads and writes rows: the model's defaults under ``values``
    (cheaper than building the ORM object; default factories are called, so lists are not shared)."""
    defaults = {name: field.get_default(call_default_factory=True)
                for name, field in model.model_fields.items() if not field.is_required()}
    return SimpleNamespace(**{**defaults, **values})


class Snapshot:
    """A read in plain SQL on a pooled connection of its own, in a deferred transaction: under WAL it
    takes no lock, never waits for a writer and sees one committed state. Nothing it runs is kept."""

    def __init__(self, database: Database) -> None:
        self._pooled = database.sync_engine.raw_connection()
        connection = self._pooled.driver_connection
        connection.execute("BEGIN")
        self.sql = PlainSql(connection, database.sync_engine.dialect)

    def close(self) -> None:
        try:
            self._pooled.driver_connection.execute("ROLLBACK")
        finally:
            self._pooled.close()  # back to the pool


async def plain_sql(session: AsyncSession) -> PlainSql:
    """The session's transaction (begun here if it was not yet) as PlainSql."""
    def connect(sync_session) -> PlainSql:
        connection = sync_session.connection()
        return PlainSql(connection.connection.dbapi_connection, connection.dialect)
    return await session.run_sync(connect)
