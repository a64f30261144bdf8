"""A service's tables created, and upgraded in place when a newer version adds columns or indexes (or
drops one of its own indexes)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, Connection, Table, inspect
from sqlmodel import SQLModel

from shared.sqlite.engine import Database


async def create_tables(database: Database, tables: Sequence[type[SQLModel]]) -> None:
    """Create a service's own tables (only those: every service's models share SQLModel.metadata), add the
    columns and indexes a newer version gave an existing table, and drop the indexes it no longer has."""
    with database.sync_engine.begin() as connection:
        create_own_tables(connection, tables)


def create_own_tables(connection: Connection, tables: Sequence[type[SQLModel]]) -> None:
    """create_tables on a connection of either backend (PostgreSQL runs it through ``run_sync``)."""
    own = [table_of(model) for model in tables]
    SQLModel.metadata.create_all(connection, tables=own)
    _add_new_columns(connection, own)
    for table in own:
        for index in table.indexes:  # create_all skips those of a table that exists
            index.create(connection, checkfirst=True)
        _drop_old_indexes(connection, table)


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Table (its ``__table__``, which SQLModel's types do not declare)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


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


def _drop_old_indexes(connection: Connection, table: Table) -> None:
    """An index an older version made (``ix_`` names are ours; SQLite's own for UNIQUE are not touched)
    that the table no longer declares: every write kept paying for it."""
    declared = {index.name for index in table.indexes}
    for index in inspect(connection).get_indexes(table.name):
        if (name := index["name"]) and name.startswith("ix_") and name not in declared:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')


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
