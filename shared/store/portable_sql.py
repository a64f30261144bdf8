"""SQL whose spelling differs between SQLite and PostgreSQL, written once in tables and queries and compiled
for the backend a service runs on (shared/store/backend.py): a column type, functions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

#: A column of instants in UTC: TIMESTAMP WITH TIME ZONE on PostgreSQL (asyncpg binds aware datetimes to no
#: other); on SQLite the same DATETIME text as a plain datetime column (read back naive: store.as_utc).
UTC_TIME = DateTime(timezone=True)


class text_position(FunctionElement[int]):  # named as SQL functions are
    """``text_position(haystack, needle)``: where ``needle`` starts in ``haystack`` (1-based), 0 if it is not
    there; unlike LIKE it takes "%" and "_" literally. SQLite's instr, PostgreSQL's strpos."""

    type = Integer()
    name = "text_position"
    inherit_cache = True


class json_array_holds(FunctionElement[bool]):
    """``json_array_holds(column, value)``: the JSON array in ``column`` has ``value`` among its items."""

    type = Boolean()
    name = "json_array_holds"
    inherit_cache = True


@compiles(text_position, "sqlite")
def _instr(element: text_position, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(text_position, "postgresql")
def _strpos(element: text_position, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


@compiles(json_array_holds, "sqlite")
def _json_each_holds(element: json_array_holds, compiler: SQLCompiler, **kw: Any) -> str:
    array, value = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXISTS (SELECT 1 FROM json_each({array}) WHERE json_each.value = {value})"


@compiles(json_array_holds, "postgresql")
def _jsonb_holds(element: json_array_holds, compiler: SQLCompiler, **kw: Any) -> str:
    array, value = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CAST({array} AS JSONB) @> jsonb_build_array({value}))"


class unindexed(FunctionElement[str]):  # named as SQL functions are
    """``unindexed(column)``: the column, which SQLite's planner (it has no statistics) must not pick an index
    for (``+column``): a WHERE naming rows by id as well is cheaper by one key look-up per id than by walking
    the column's index. PostgreSQL plans from statistics: the column as it is."""

    type = String()
    name = "unindexed"
    inherit_cache = True


@compiles(unindexed, "sqlite")
def _plus_column(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)


@compiles(unindexed, "postgresql")
def _column(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)
