"""A service's tables created, and upgraded in place when a newer version adds columns or indexes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, Connection, Table, inspect
from sqlmodel import SQLModel

from shared.sqlite.engine import Database


async def create_tables(database: Database, tables: Sequence[type[SQLModel]]) -> None:
    """Create a service's own tables (only those: every service's models share SQLModel.metadata), and
    add the columns and indexes a newer version gave an existing table."""
    with database.sync_engine.begin() as connection:
        SQLModel.metadata.create_all(connection, tables=[t.__table__ for t in tables])
        _add_new_columns(connection, [t.__table__ for t in tables])
        for table in tables:
            for index in table.__table__.indexes:  # create_all skips those of a table that exists
                index.create(connection, checkfirst=True)


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
