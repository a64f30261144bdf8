"""Plain SQL for the statements every command runs (journals, seat intents, seats, status rows, reads by
id): there the ORM's own work, not SQLite's, was most of each command's CPU. Rows are read and written
as the ORM would (each column's own SQLAlchemy type converts), so both see the same data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, Literal, NamedTuple, Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import Dialect, Table
from sqlmodel import SQLModel

Processors = dict[str, Callable[[Any], Any] | None]


class Statements(Protocol):
    """What PlainSql runs statements on: a sqlite3 connection, or shared/postgres's counterpart of one."""

    def execute(self, sql: str, parameters: Sequence[object], /) -> Any: ...

    def executemany(self, sql: str, seq_of_parameters: Sequence[Sequence[object]], /) -> Any: ...


class PlainSql:
    """Plain SQL in a unit of work's transaction, for the statements every command runs (the journal,
    the seat intents): an ORM statement costs ~130 µs of CPU here, the same one in plain SQL ~3 µs
    (bench/RESULTS.md). Values are bound through the columns' own SQLAlchemy types, so what it writes
    reads back the same through the ORM. ORM objects already loaded do not see what it changes: use
    it for rows the unit of work does not also hold as ORM objects."""

    def __init__(self, connection: Statements, dialect: Dialect) -> None:
        self._connection = connection
        #: Which backend's SQL this runs: ``dialect.name`` picks a statement SQLite and PostgreSQL spell apart.
        self.dialect = dialect

    def one(self, sql: str, *params: object) -> tuple | None:
        return self._connection.execute(sql, params).fetchone()

    def value(self, sql: str, *params: object) -> Any:
        """The first column of the first row (a count, a MAX), None when there is no row."""
        row = self.one(sql, *params)
        return None if row is None else row[0]

    def all(self, sql: str, *params: object) -> list[tuple]:
        return self._connection.execute(sql, params).fetchall()

    def run(self, sql: str, *params: object) -> int:
        """Run a statement that changes rows; returns how many it changed."""
        return self._connection.execute(sql, params).rowcount

    def run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement once per row of parameters (membership rows, a hundred at a time)."""
        self._connection.executemany(sql, rows)

    def select(self, table: Table, where: str, *params: object) -> list[SimpleNamespace]:
        """The rows of ``table`` matching ``where`` (a LIMIT may follow it), each column an attribute
        converted as the ORM would (JSON decoded, datetimes in UTC): read-only rows at a fraction of an
        ORM object's cost."""
        processors = _processors(table, self.dialect)
        names, readers = processors.names, processors.readers
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
        return self.run(self.insert_sql(table, tuple(values), on_conflict), *self._bound(table, values)) == 1

    def insert_many(self, table: Table, rows: Sequence[Mapping[str, object]], *,
                    on_conflict: Literal["IGNORE", "REPLACE"] | None = None) -> None:
        """``insert`` of each row (all with the same columns) in one statement run per row."""
        if rows:
            self.run_many(self.insert_sql(table, tuple(rows[0]), on_conflict),
                          [self._bound(table, row) for row in rows])

    def insert_sql(self, table: Table, names: tuple[str, ...], on_conflict: str | None) -> str:
        """The INSERT of ``names`` into ``table``, in this backend's words for ``on_conflict``."""
        return _insert_sql(table.name, names, on_conflict)

    def update(self, table: Table, values: Mapping[str, object], key: Sequence[str]) -> int:
        """Write ``values`` on the row whose ``key`` columns (part of ``values``) match; returns how many
        rows changed (0: not there)."""
        names = tuple(name for name in values if name not in key)
        params = self._bound(table, {**{name: values[name] for name in names},
                                     **{name: values[name] for name in key}})
        return self.run(_update_sql(table.name, names, tuple(key)), *params)

    def lock(self, key: str) -> None:
        """Hold ``key`` until the transaction ends, so that units of work reading then writing the rows it
        names run one after another, in this process or another. Nothing to do on SQLite: one unit at a
        time writes there (the Writer's turn, BEGIN IMMEDIATE across processes). PostgreSQL's counterpart
        takes an advisory lock. Units taking several keys take them in one order (sorted), or deadlock."""

    def _bound(self, table: Table, values: Mapping[str, object]) -> list[object]:
        binders = _processors(table, self.dialect).binders
        return [value if (bind := binders[name]) is None or value is None else bind(value)
                for name, value in values.items()]


class _TableProcessors(NamedTuple):
    binders: Processors  # by column name
    names: tuple[str, ...]  # the columns, in the table's order
    readers: tuple[Callable[[Any], Any] | None, ...]  # each column's, in that order


#: Per dialect (an engine's own: its JSON serializer), per table: each column's bind and result processors.
_PROCESSORS: WeakKeyDictionary[Dialect, dict[Table, _TableProcessors]] = WeakKeyDictionary()


def _processors(table: Table, dialect: Dialect) -> _TableProcessors:
    per_table = _PROCESSORS.setdefault(dialect, {})
    if (found := per_table.get(table)) is None:
        types = {column.name: column.type.dialect_impl(dialect) for column in table.columns}
        found = per_table[table] = _TableProcessors(
            {name: kind.bind_processor(dialect) for name, kind in types.items()}, tuple(types),
            tuple(kind.result_processor(dialect, None) for kind in types.values()))
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
    constants, factories = _defaults(model)
    row = {**constants, **values}
    for name, make in factories.items():
        if name not in values:
            row[name] = make()
    return SimpleNamespace(**row)


@functools.cache
def _defaults(model: type[SQLModel]) -> tuple[dict[str, object], dict[str, Callable[[], object]]]:
    """A model's constant defaults and its default factories, read once: pydantic's ``get_default``
    inspects a factory's signature on every call (~100 µs, most of a reported outcome's CPU)."""
    constants: dict[str, object] = {}
    factories: dict[str, Callable[[], object]] = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            # pydantic's type allows a factory of the validated data too; no table of ours has one.
            factories[name] = field.default_factory  # type: ignore[assignment]
        elif not field.is_required():
            constants[name] = field.default
    return constants, factories
