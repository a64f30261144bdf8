"""PlainSql on PostgreSQL: the same statements, with ``$n`` placeholders and ON CONFLICT for SQLite's OR.

Statements run through SQLAlchemy's asyncpg adapter, on the unit of work's connection and in its
transaction; each awaits the server, so the code that calls them runs in a greenlet
(PostgresUnitOfWork.run), as SQLAlchemy's own ORM does on asyncpg.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table

from shared.sqlite.plain_sql import PlainSql

#: A ``?`` placeholder, or a quoted string or name (whose ``?`` is text, not a placeholder).
_PLACEHOLDER_OR_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?")


class AdaptedStatements:
    """What PlainSql expects of sqlite3's connection (``execute``, ``executemany``), on SQLAlchemy's adapted
    asyncpg connection: the SQL's ``?`` become ``$1, $2, ...``."""

    def __init__(self, dbapi_connection: Any) -> None:
        self._connection = dbapi_connection

    def execute(self, sql: str, parameters: Sequence[object], /) -> Any:
        cursor = self._connection.cursor()
        cursor.execute(numbered(sql), tuple(parameters))
        return cursor

    def executemany(self, sql: str, seq_of_parameters: Sequence[Sequence[object]], /) -> Any:
        cursor = self._connection.cursor()
        cursor.executemany(numbered(sql), [tuple(row) for row in seq_of_parameters])
        return cursor


@functools.cache
def numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, ...`` (quoted text left as it is)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() != "?":
            return match.group()
        count += 1
        return f"${count}"

    return _PLACEHOLDER_OR_QUOTED.sub(number, sql)


class PostgresPlainSql(PlainSql):
    """PlainSql whose inserts say ON CONFLICT: DO NOTHING for "IGNORE", DO UPDATE of every other column for
    "REPLACE" (on the primary key: SQLite's REPLACE would also replace a row another unique key matched,
    which no table of ours has)."""

    def lock(self, key: str) -> None:
        """A transaction-scoped advisory lock on ``key`` (hashed to the 64 bits such locks are named by)."""
        self.run("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key)

    def insert_sql(self, table: Table, names: tuple[str, ...], on_conflict: str | None) -> str:
        return _insert_sql(table, names, on_conflict)


@functools.cache
def _insert_sql(table: Table, names: tuple[str, ...], on_conflict: str | None) -> str:
    columns = ", ".join(f'"{name}"' for name in names)
    sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(names))})'
    key = [column.name for column in table.primary_key.columns]
    others = [name for name in names if name not in key]
    if on_conflict == "IGNORE" or (on_conflict == "REPLACE" and not others):
        return sql + " ON CONFLICT DO NOTHING"
    if on_conflict == "REPLACE":
        conflict = ", ".join(f'"{name}"' for name in key)
        updates = ", ".join(f'"{name}" = EXCLUDED."{name}"' for name in others)
        return sql + f" ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    return sql
