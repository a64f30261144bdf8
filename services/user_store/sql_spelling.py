"""The few words of the user store's plain SQL (PlainSql strings) that SQLite and PostgreSQL spell apart
(``sql.dialect.name`` says which): reading an attribute of the JSON resource, and SQLite's unary ``+`` that
keeps its planner (it has no statistics) off the tenant index where a look-up by id is cheaper; PostgreSQL
needs no such hint. The same for statements built with SQLAlchemy: shared/store/portable_sql.py; for
filters: filter_dialects.py."""

from __future__ import annotations

from shared.sqlite import PlainSql


def _on_postgres(sql: PlainSql) -> bool:
    return sql.dialect.name == "postgresql"


def json_text(sql: PlainSql, column: str, *keys: str) -> str:
    """The resource's attribute at ``keys`` (our schema's names, never a client's) as text; NULL when absent."""
    if _on_postgres(sql):
        return f"""{column} #>> '{{{",".join(f'"{key}"' for key in keys)}}}'"""
    return f"""json_extract({column}, '${"".join(f'."{key}"' for key in keys)}')"""


def not_false(sql: PlainSql, column: str, key: str) -> str:
    """Whether the resource's top-level attribute ``key`` is anything but JSON ``false`` (absent: true)."""
    if _on_postgres(sql):
        return f"({column} -> '{key}') IS DISTINCT FROM 'false'::jsonb"
    return f"json_extract({column}, '$.{key}') IS NOT 0"


def by_id_only(sql: PlainSql, column: str) -> str:
    """``column`` (the tenant's, in a WHERE that also names rows by id) as SQLite must not use its index."""
    return column if _on_postgres(sql) else f"+{column}"
