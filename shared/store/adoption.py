"""A database made before migrations brought to a service's first revision, keeping its rows.

Until then each release upgraded its database at start by adding what its models had gained: new tables, new
columns (nullable, or with a constant default the existing rows take), new indexes, and by dropping the ``ix_``
indexes it had stopped declaring. Every older database can reach the first revision that way, so the same steps
run once more here, against that revision's tables (never the live models: they move on), before the database is
stamped with it (migrations.py). Anything beyond additions was never done in place and is a migration's job.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, Table, inspect, literal


def bring_to_baseline(connection: Connection, baseline: MetaData, schema: str | None = None) -> None:
    """``baseline``'s tables, columns and indexes added where missing; ``schema``: PostgreSQL's (None: SQLite)."""
    baseline.create_all(connection, checkfirst=True)
    for table in baseline.sorted_tables:
        _add_missing_columns(connection, table, schema)
        for index in table.indexes:  # create_all skips those of a table that exists
            index.create(connection, checkfirst=True)
        _drop_old_indexes(connection, table, schema)


def _add_missing_columns(connection: Connection, table: Table, schema: str | None) -> None:
    existing = {column["name"] for column in inspect(connection).get_columns(table.name, schema=schema)}
    for column in table.columns:
        if column.name not in existing:
            kind = column.type.compile(connection.dialect)
            default = _literal_default(column, connection)
            connection.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                                       + (f" NOT NULL DEFAULT {default}" if default is not None else ""))


def _drop_old_indexes(connection: Connection, table: Table, schema: str | None) -> None:
    """An index an older release made (``ix_`` names are ours; the database's own for UNIQUE are not touched)
    that the table no longer declares: every write kept paying for it."""
    declared = {index.name for index in table.indexes}
    for index in inspect(connection).get_indexes(table.name, schema=schema):
        if (name := index["name"]) and name.startswith("ix_") and name not in declared:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')


def _literal_default(column: Column, connection: Connection) -> str | None:
    """A constant Python-side default as the backend spells it (existing rows take it): a boolean is
    ``true`` on PostgreSQL, which refuses ``1``. None when the column has none."""
    value = getattr(column.default, "arg", None)
    if value is None or callable(value):
        return None
    return str(literal(value, column.type).compile(dialect=connection.dialect,
                                                   compile_kwargs={"literal_binds": True}))
