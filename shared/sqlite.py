"""SQLite engines for the services that keep state in a file: WAL, a busy timeout, BEGIN IMMEDIATE.

Several processes of one service may share its file. BEGIN IMMEDIATE takes the write lock at the start
of a transaction, so two writers queue on the busy timeout instead of one failing mid-transaction
with "database is locked" (SQLite cannot upgrade a read lock while another writer waits).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import orjson
from sqlalchemy import Column, Connection, Table, event, inspect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000", "foreign_keys=ON")


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def create_engine(db_path: Path) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{db_path}", json_serializer=_dumps,
                                 json_deserializer=orjson.loads)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
        # SQLite's lower() folds ASCII only; filters on caseExact=false attributes need Python's.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


async def create_tables(engine: AsyncEngine, tables: Sequence[type[SQLModel]]) -> None:
    """Create a service's own tables (only those: every service's models share SQLModel.metadata), and
    add the columns a newer version gave an existing table."""
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=[t.__table__ for t in tables])
        await connection.run_sync(_add_new_columns, [t.__table__ for t in tables])


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


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
