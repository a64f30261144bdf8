"""The leaves of a compiled filter that SQLite and PostgreSQL spell apart, as SQL constructs of their own.

filter_sql.py builds one SQLAlchemy condition without knowing the backend; each construct here compiles
to SQLite's JSON1 spelling (the SQL it always ran, unchanged) or to PostgreSQL's over jsonb:

- a JSON value read at a path: its SQLite ``json_type`` name (``json_kind``: PostgreSQL's jsonb_typeof
  mapped onto those names), its text, its number;
- the elements of a list (``json_elements``: SQLite's json_each; jsonb_array_elements, a lone value
  taken as a list of one, as filter_match does), an element's kind, an object built from columns;
- case folding (``folded``): SQLite's ``lower`` is Python's (shared/sqlite/engine.py registers it);
  PostgreSQL's libc lower() folds character by character (İ gives "i", not "i̇"; no final sigma), its
  ICU root locale's lower() folds as ``str.lower()`` does: full mappings, final sigma in context. It
  agrees with Python's on every code point and on final sigma beside every code point that Python's
  Unicode 14 assigns; beside 111 code points Unicode 15 added (Kawi, Egyptian format controls, Latin
  Extended-G, Cyrillic Extended-D, Nag Mundari, ...) ICU 72 may see a sigma as final where Python
  does not (tests/services/user_store/test_filter_dialects.py names them);
- text ordered by code point as SQLite's BINARY and Python order it: ``COLLATE "C"`` on PostgreSQL, so
  ``gt`` and sortBy do not depend on the database's locale (lower() with ICU would order by ICU's);
- hints that only help a backend's planner: ``unlikely()`` (SQLite's), and ``prefiltered``, a condition
  implied by the leaf, ANDed before it on one backend only (SQLite's LIKE on the stored text, PostgreSQL's
  GIN-indexed e-mail values, services/user_store/postgres_schema.py).

Paths are schema names (never a client's text), part of each construct's cache key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, and_, func, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import Grouping, UnaryExpression
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.sql.visitors import InternalTraversal

Keys = tuple[str | int, ...]
#: The ICU collation whose lower() folds as Python's str.lower() (initdb makes it where PostgreSQL has ICU).
FOLDING_COLLATION = "und-x-icu"


def sqlite_path(*keys: str | int) -> str:
    # Every key quoted: URNs hold ':' and '.', and "$ref" holds '$'.
    return "$" + "".join(f"[{key}]" if isinstance(key, int) else f'."{key}"' for key in keys)


def _postgres_path(keys: Keys) -> str:
    """``'{"a","0"}'``: the text[] literal a jsonb ``#>`` takes (each key quoted, as an array literal's)."""
    quoted = ",".join('"' + str(key).replace("\\", "\\\\").replace('"', '\\"') + '"' for key in keys)
    return "'{" + quoted.replace("'", "''") + "}'"


class _JsonRead(ColumnElement[Any]):
    """A value of the JSON ``document`` at ``keys``; None: the document is the value (a list's element)."""

    inherit_cache = True
    _traverse_internals = [("document", InternalTraversal.dp_clauseelement),
                           ("keys", InternalTraversal.dp_plain_obj)]

    def __init__(self, document: ColumnElement[Any], keys: Keys | None) -> None:
        self.document = document
        self.keys = keys


class json_kind(_JsonRead):  # named as SQL functions are
    """The value's SQLite ``json_type`` name: null, true, false, integer, real, text, array, object. jsonb
    keeps a number's decimals (5.0 stays real) but not its exponent: a float orjson writes as 1e16 reads
    back as an integer there (a real to SQLite and Python); no SCIM value we store is one."""

    type = String()
    inherit_cache = True


class json_text(_JsonRead):
    """A string's text (an array's or object's JSON text), ordered by code point."""

    type = String()
    inherit_cache = True


class json_number(_JsonRead):
    """A number's value; NULL for anything else on PostgreSQL (a cast there would fail, not mismatch)."""

    inherit_cache = True


class element_kind(ColumnElement[Any]):
    """The ``json_type`` name of one of ``json_elements``' rows: its ``type`` column on SQLite, computed
    from its ``value`` on PostgreSQL (jsonb_array_elements has no such column)."""

    type = String()
    inherit_cache = True
    _traverse_internals = [("type_column", InternalTraversal.dp_clauseelement),
                           ("value", InternalTraversal.dp_clauseelement)]

    def __init__(self, type_column: ColumnElement[Any], value: ColumnElement[Any]) -> None:
        self.type_column = type_column
        self.value = value


class json_elements(FunctionElement[Any]):
    """The elements of the list at ``keys`` of a JSON document, a table-valued function (``type``, ``value``)."""

    name = "json_each"
    inherit_cache = True
    _traverse_internals = [*FunctionElement._traverse_internals, ("keys", InternalTraversal.dp_plain_obj)]

    def __init__(self, document: ColumnElement[Any], keys: Keys) -> None:
        self.keys = keys
        super().__init__(document, sqlite_path(*keys))


class json_object(FunctionElement[Any]):
    """A JSON object of alternating names and values."""

    name = "json_object"
    inherit_cache = True


class folded(FunctionElement[str]):
    """Text lower-cased as Python's ``str.lower()`` does (see the module's docstring)."""

    type = String()
    name = "lower"
    inherit_cache = True


class unlikely(FunctionElement[bool]):
    """SQLite's planner hint that a condition is rarely true; PostgreSQL has none (its statistics say so).
    Untyped, as SQLAlchemy's own ``func.unlikely``: SQLite would compare a Boolean one with 1 and lose the
    hint."""

    name = "unlikely"
    inherit_cache = True


class prefiltered(ColumnElement[bool]):
    """``condition``, preceded on a backend by a condition it implies there (``sqlite``, ``postgresql``), to
    let that backend's planner skip rows or use an index: the same rows match. Rendered ``hint AND
    condition``, or ``condition`` alone where a backend has no hint."""

    type = Boolean()
    _is_implicitly_boolean = True
    inherit_cache = True
    _traverse_internals = [("condition", InternalTraversal.dp_clauseelement),
                           ("sqlite", InternalTraversal.dp_clauseelement),
                           ("postgresql", InternalTraversal.dp_clauseelement)]

    def __init__(self, condition: ColumnElement[bool], *, sqlite: ColumnElement[bool] | None,
                 postgresql: ColumnElement[bool] | None) -> None:
        self.condition = condition
        self.sqlite = true() if sqlite is None else sqlite
        self.postgresql = true() if postgresql is None else postgresql

    def self_group(self, against: OperatorType | None = None) -> ColumnElement[Any]:
        # An AND in parentheses where it binds looser than what holds it (NOT), as and_() is.
        if against is not None and operators.is_precedent(operators.and_, against):
            return Grouping(self)
        return self

    def _negate(self) -> ColumnElement[Any]:
        # NOT (...), as and_()'s: a Boolean element's own negation would not group it.
        return UnaryExpression(self.self_group(against=operators.inv), operator=operators.inv)


def _with_hint(hint: ColumnElement[bool], condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(hint, condition)  # and_ drops a true() hint


# SQLite: the JSON1 spelling filter_sql.py always had.

@compiles(json_kind)
def _json_type(element: json_kind, compiler: SQLCompiler, **kw: Any) -> str:
    path = () if element.keys is None else (sqlite_path(*element.keys),)
    return compiler.process(func.json_type(element.document, *path), **kw)


@compiles(json_text)
@compiles(json_number)
def _json_extract(element: _JsonRead, compiler: SQLCompiler, **kw: Any) -> str:
    if element.keys is None:
        return compiler.process(element.document, **kw)
    return compiler.process(func.json_extract(element.document, sqlite_path(*element.keys)), **kw)


@compiles(json_elements)
@compiles(json_object)
@compiles(folded)
@compiles(unlikely)
def _sqlite_function(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.visit_function(element, **kw)  # type: ignore[arg-type]  # these are functions by name


@compiles(element_kind)
def _type_column(element: element_kind, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.type_column, **kw)


@compiles(prefiltered)
def _sqlite_prefilter(element: prefiltered, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(_with_hint(element.sqlite, element.condition), **kw)


# PostgreSQL: jsonb.

def _jsonb(element: _JsonRead, compiler: SQLCompiler, **kw: Any) -> str:
    document = compiler.process(element.document, **kw)
    return document if element.keys is None else f"({document} #> {_postgres_path(element.keys)})"


def _kind_of(value: str) -> str:
    return (f"CASE jsonb_typeof({value}) WHEN 'string' THEN 'text' WHEN 'boolean' THEN {value} #>> '{{}}' "
            f"WHEN 'number' THEN CASE WHEN scale(({value})::numeric) = 0 THEN 'integer' ELSE 'real' END "
            f"ELSE jsonb_typeof({value}) END")


@compiles(json_kind, "postgresql")
def _jsonb_kind(element: json_kind, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({_kind_of(_jsonb(element, compiler, **kw))})"


@compiles(json_text, "postgresql")
def _jsonb_text(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"""(({_jsonb(element, compiler, **kw)} #>> '{{}}') COLLATE "C")"""


@compiles(json_number, "postgresql")
def _jsonb_number(element: json_number, compiler: SQLCompiler, **kw: Any) -> str:
    value = _jsonb(element, compiler, **kw)
    return f"(CASE WHEN jsonb_typeof({value}) = 'number' THEN ({value})::numeric END)"


@compiles(element_kind, "postgresql")
def _jsonb_element_kind(element: element_kind, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({_kind_of(compiler.process(element.value, **kw))})"


@compiles(json_elements, "postgresql")
def _jsonb_elements(element: json_elements, compiler: SQLCompiler, **kw: Any) -> str:
    document = compiler.process(element.clauses.clauses[0], **kw)
    value = f"({document} #> {_postgres_path(element.keys)})"
    # A lone value is a list of one, and a missing one none (filter_match._values).
    return (f"jsonb_array_elements(CASE WHEN {value} IS NULL THEN '[]'::jsonb WHEN jsonb_typeof({value}) = "
            f"'array' THEN {value} ELSE jsonb_build_array({value}) END)")


@compiles(json_object, "postgresql")
def _jsonb_object(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"jsonb_build_object({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _icu_lower(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f'lower(({compiler.process(element.clauses, **kw)}) COLLATE "{FOLDING_COLLATION}") COLLATE "C"'


@compiles(unlikely, "postgresql")
def _as_it_is(element: unlikely, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)})"


@compiles(prefiltered, "postgresql")
def _postgres_prefilter(element: prefiltered, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(_with_hint(element.postgresql, element.condition), **kw)
