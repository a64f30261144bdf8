"""Compile a filter AST to one SQLAlchemy condition (RFC 7644 §3.4.2.2), and sortBy keys (§3.4.2.3).

The condition is true exactly where ``shared.scim.filter_match.matches`` is: both run the same
``normalize``d tree, and every leaf below is two-valued (never SQL NULL), so ``not`` and ``ne`` stay
the complements they are in memory. Paths with a dedicated column use it, memberships are read from
their table, and everything else from the JSON ``resource`` column.
Values are always bound parameters; JSON paths are built only from schema names, which ``normalize``
has checked the tree's paths against.

One condition for SQLite and PostgreSQL: the leaves they spell apart (reading JSON, listing a list's
elements, folding case as Python's ``str.lower()`` does, planner hints) are constructs of
filter_dialects.py, compiled for the backend the statement runs on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, NoReturn

from sqlalchemy import (
    ColumnElement,
    FromClause,
    String,
    and_,
    case,
    false,
    func,
    join,
    literal,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlmodel import SQLModel, col

from contracts.filters import (
    And,
    AttributePath,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
)
from services.user_store.filter_dialects import (
    Keys,
    element_kind,
    folded,
    json_elements,
    json_kind,
    json_number,
    json_object,
    json_text,
    prefiltered,
    unlikely,
)
from services.user_store.postgres_schema import email_values_hold
from services.user_store.tables import GroupRow, MembershipRow, UserRow
from shared.scim.attributes import GROUP, USER, ResourceSchema
from shared.scim.errors import invalid_filter
from shared.scim.filter_match import compare, is_present, normalize
from shared.scim.filter_values import (
    attribute_of,
    attribute_path,
    check_path,
    folds_case,
    parse_datetime,
)
from shared.scim.schemas import EXTENSION_SCHEMA
from shared.sqlite import table_of
from shared.store.portable_sql import text_position

Condition = ColumnElement[bool]

#: ``json_type`` names of the values each SCIM type may hold (RFC 7643 §2.3).
_JSON_TYPES = {"string": ("text",), "reference": ("text",), "binary": ("text",),
               "integer": ("integer",), "decimal": ("integer", "real")}
_OPERATORS: dict[str, Callable[[Any, Any], Condition]] = {
    "eq": lambda x, v: x == v, "gt": lambda x, v: x > v, "ge": lambda x, v: x >= v,
    "lt": lambda x, v: x < v, "le": lambda x, v: x <= v,
    # instr/substr, not LIKE: a value's % and _ stay literal, and there is no escape to get wrong.
    "co": lambda x, v: text_position(x, v) > 0,
    "sw": lambda x, v: func.substr(x, 1, len(v)) == v,
    "ew": lambda x, v: func.substr(x, func.length(x) - len(v) + 1) == v,
}


#: Operators whose match holds the filter's value as a run of the stored string.
_TEXT_OPS = frozenset({"eq", "co", "sw", "ew"})
#: Non-ASCII letters whose Python lower-casing holds an ASCII letter: KELVIN SIGN -> "k", LATIN CAPITAL
#: LETTER I WITH DOT ABOVE -> "i" + a combining dot (Unicode 14; test_filter_sql checks the whole range).
FOLDS_INTO_ASCII = {"k": "\u212a", "i": "\u0130"}


def text_hint(value: str, folds: bool) -> str | None:
    """A LIKE pattern every stored JSON text holding a string that matches ``value`` (eq, co, sw, ew) also
    matches; None when there is none that is safe.

    Only for printable ASCII without ``"`` and ``\\``: such a run is stored as is (orjson escapes only
    those and control characters). LIKE folds ASCII case; a case-insensitive match may also come from
    one of FOLDS_INTO_ASCII, so their letters match any one character (``_``) in the pattern.
    """
    if not value or not all(" " <= char <= "~" and char not in '"\\' for char in value):
        return None
    run = "".join("_" if folds and char.lower() in FOLDS_INTO_ASCII else _like_literal(char) for char in value)
    return f"%{run}%"


def _like_literal(char: str) -> str:
    return "\\" + char if char in "%_\\" else char


class Elements(NamedTuple):
    """The elements of one multi-valued attribute of the outer row: where they come from, and each one's
    JSON value and ``json_kind``. ``where`` ties them to the outer row."""

    source: FromClause
    value: ColumnElement[Any]
    kind: ColumnElement[Any]
    where: ColumnElement[bool] = true()


@dataclass(frozen=True)
class FilterTarget:
    """A table as filters see it: the JSON resource column, plus columns that hold some paths."""

    resource: ColumnElement[Any]
    columns: Mapping[AttributePath, ColumnElement[Any]] = field(default_factory=dict)
    #: Columns holding the lower-cased value (compared with a lower-cased filter value).
    lowered: frozenset[AttributePath] = frozenset()
    #: Paths with the same value on every row, e.g. meta.resourceType.
    constants: Mapping[AttributePath, str] = field(default_factory=dict)
    #: Multi-valued attributes whose elements live in other tables (filterable, not sortable).
    elements: Mapping[AttributePath, Callable[[], Elements]] = field(default_factory=dict)
    #: Attributes neither the resource column nor the above hold.
    unfilterable: frozenset[AttributePath] = frozenset()
    #: Sub-attributes of a list in the resource whose lower-cased values an index holds on PostgreSQL: the
    #: condition that a row holds a value, which ``x eq value`` on an element implies.
    indexed: Mapping[AttributePath, Callable[[ColumnElement[Any], str], Condition]] = field(default_factory=dict)


def _group_members() -> Elements:
    """A group's ``members`` as the user store renders them (RFC 7643 §4.2), from ``memberships``."""
    display = func.coalesce(json_text(table_of(UserRow).c.resource, ("displayName",)), UserRow.user_name)
    member = json_object("value", MembershipRow.member_id, "type", "User", "display", display)
    return Elements(join(MembershipRow, UserRow, col(MembershipRow.member_id) == col(UserRow.id)), member,
                    literal("object"), col(MembershipRow.group_id) == col(GroupRow.id))


def _user_groups() -> Elements:
    """A user's read-only ``groups`` (RFC 7643 §4.1.2): direct memberships, as the user store renders them."""
    group = json_object("value", GroupRow.id, "display", GroupRow.display_name, "type", "direct")
    return Elements(join(MembershipRow, GroupRow, col(MembershipRow.group_id) == col(GroupRow.id)), group,
                    literal("object"), col(MembershipRow.member_id) == col(UserRow.id))


def _target(schema: ResourceSchema, table: type[SQLModel], key: str, key_column: str,
            elsewhere: str, elements: Callable[[], Elements],
            computed: Mapping[AttributePath, ColumnElement[Any]] | None = None) -> FilterTarget:
    """A table with id, a lower-cased unique key (``key_column``), externalId, created and last_modified
    columns; ``computed`` holds the attributes rendered from other columns."""
    path = {text: _known(schema, text) for text in ("id", key, "externalId", "meta", "meta.created",
                                                   "meta.lastModified", "meta.resourceType", elsewhere)}
    row = table_of(table).c
    return FilterTarget(
        resource=row.resource,
        columns={path["id"]: row.id, path[key]: row[key_column], path["externalId"]: row.external_id,
                 path["meta.created"]: row.created, path["meta.lastModified"]: row.last_modified,
                 **(computed or {})},
        lowered=frozenset({path[key]}),
        constants={path["meta.resourceType"]: schema.name},
        elements={path[elsewhere]: elements},
        unfilterable=frozenset({path["meta"]}),
    )


def _known(schema: ResourceSchema, text: str) -> AttributePath:
    """An attribute the schema has (these are ours, not a client's)."""
    if (path := schema.resolve(text)) is None:
        raise LookupError(f"the {schema.name} schema has no {text}")
    return path


def _seat_state() -> dict[AttributePath, ColumnElement[Any]]:
    """The vendor extension's read-only seat state as handlers.with_seat_state renders it from the row: it
    is not in the stored resource, so a filter or sortBy must read it where it is kept."""
    def path(name: str) -> AttributePath:
        return _known(USER, f"{EXTENSION_SCHEMA}:{name}")

    users = table_of(UserRow).c
    resource, set_role = users.resource, users.set_role
    own_role = json_text(resource, (EXTENSION_SCHEMA, "role"))
    return {
        path("scimActive"): func.coalesce(json_kind(resource, ("active",)), "") != "false",
        path("platformActive"): users.platform_active,
        path("subscriptionSet"): users.subscription_set,
        path("effectiveRole"): case((users.subscription_set.is_not(None), func.coalesce(
            func.nullif(set_role, ""), func.nullif(own_role, ""), "User"))),
    }


USER_TARGET = replace(_target(USER, UserRow, "userName", "user_name_key", "groups", _user_groups, _seat_state()),
                      indexed={_known(USER, "emails.value"): email_values_hold})
GROUP_TARGET = _target(GROUP, GroupRow, "displayName", "display_name_key", "members", _group_members)


def compile_filter(node: Filter, schema: ResourceSchema, target: FilterTarget) -> Condition:
    """The WHERE condition selecting the rows whose resource satisfies ``node``; 400 invalidFilter if it cannot."""
    return _Compiler(schema, target).compile(normalize(node, schema), target.resource, element=False)


def sort_key(path: AttributePath, schema: ResourceSchema, target: FilterTarget) -> ColumnElement[Any]:
    """The value to ORDER BY for ``sortBy`` (RFC 7644 §3.4.2.3).

    A multi-valued attribute sorts by its primary element's value, else its first element's. Strings
    sort by code point, lower-cased unless caseExact. A resource without the attribute yields NULL, which
    SQLite sorts first; order with ``.nulls_last()`` to put such resources last.
    """
    path = check_path(path, schema)
    if path.sub is None and schema.definition(path)["type"] == "complex":
        path = schema.resolve(f"{path}.value") or _unfilterable(path)
    key = _Compiler(schema, target).sort_value(path)
    return folded(key) if folds_case(schema.definition(path)) and path not in target.lowered else key


def _unfilterable(path: AttributePath, what: str = "filtered or sorted on") -> NoReturn:
    raise invalid_filter(f"Invalid filter: {path} cannot be {what}")


def _sub(path: AttributePath) -> tuple[str, ...]:
    return () if path.sub is None else (path.sub,)


def _read(kind: str, document: ColumnElement[Any], keys: Keys | None) -> ColumnElement[Any]:
    """The value at ``keys`` as an attribute of the SCIM type ``kind`` compares it."""
    return json_number(document, keys) if kind in ("integer", "decimal") else json_text(document, keys)


def _exists(elements: Elements, condition: Condition) -> Condition:
    return select(literal(1)).select_from(elements.source).where(elements.where, condition).exists()


def _present(kind: ColumnElement[Any], value: ColumnElement[Any]) -> Condition:
    """``pr`` on a JSON value given its json_type and value, as ``filter_match.is_present`` decides it."""
    return case(
        (func.coalesce(kind, "null") == "null", false()),
        (kind == "text", value != ""),
        (kind.in_(("array", "object")), value.not_in(("[]", "{}"))),
        else_=true(),
    )


@dataclass(frozen=True)
class _Compiler:
    schema: ResourceSchema
    target: FilterTarget

    def compile(self, node: Filter, document: ColumnElement[Any], *, element: bool) -> Condition:
        """``document`` is the JSON the paths are read from: the resource, or one element of a value path."""
        match node:
            case And(operands=operands):
                return and_(*(self.compile(operand, document, element=element) for operand in operands))
            case Or(operands=operands):
                return or_(*(self.compile(operand, document, element=element) for operand in operands))
            case Not(operand=operand):
                return not_(self.compile(operand, document, element=element))
            case ValuePath(path=path, filter=inner):
                each = self._each(path)
                exists = _exists(each, and_(each.kind == "object", self.compile(inner, each.value, element=True)))
                held_elsewhere = attribute_path(path) in self.target.elements
                return exists if element or held_elsewhere else self._text_hinted(inner, exists)
        return self._element_leaf(node, document) if element else self._leaf(node)

    def sort_value(self, path: AttributePath) -> ColumnElement[Any]:
        if path in self.target.columns:
            return self.target.columns[path]
        if path in self.target.constants:
            return literal(self.target.constants[path])
        if self.schema.definition(path)["type"] == "dateTime":
            _unfilterable(path)  # dateTimes sort through columns only
        kind = self.schema.definition(path)["type"]
        if not attribute_of(path, self.schema)["multiValued"]:
            return _read(kind, self.target.resource, (*self._location(path), *_sub(path)))
        first = _read(kind, self.target.resource, (*self._location(path), 0, *_sub(path)))
        if path.sub is None:
            return first
        each = self._each(path)
        primary = (select(_read(kind, each.value, (path.sub,))).select_from(each.source)
                   .where(json_kind(each.value, ("primary",)) == "true").limit(1))
        return func.coalesce(primary.scalar_subquery(), first)

    def _leaf(self, node: Comparison | Present) -> Condition:
        path = node.path
        if path in self.target.columns:
            return self._column_leaf(node, self.target.columns[path])
        if path in self.target.constants:
            value = self.target.constants[path]
            holds = is_present(value) if isinstance(node, Present) else compare(
                self.schema.definition(path), node.op, value, node.value)
            return true() if holds else false()
        if attribute_of(path, self.schema)["multiValued"]:  # a list of simple values, or whole elements for pr
            each = self._each(path)
            leaf = _exists(each, self._json_leaf(node, each.kind, each.value, None))
            held_elsewhere = attribute_path(path) in self.target.elements
            return leaf if held_elsewhere else self._text_hinted(node, leaf)
        keys = (*self._location(path), *_sub(path))
        return self._text_hinted(node, self._json_leaf(node, json_kind(self.target.resource, keys),
                                                       self.target.resource, keys))

    def _text_hinted(self, node: Filter, leaf: Condition) -> Condition:
        """``leaf`` (``node`` on values of the resource column) preceded by a cheaper condition every row it
        selects meets (same result). SQLite: a LIKE on the stored text (text_hint), which it scans where the
        leaf parses every row's JSON (a parse per row and per query, bench/RESULTS.md). PostgreSQL, whose
        jsonb is parsed already: an index's (``indexed``)."""
        pattern, indexed = self._hint(node), self._indexed(node)
        if pattern is None and indexed is None:
            return leaf
        like = None if pattern is None else type_coerce(self.target.resource, String).like(pattern, escape="\\")
        return prefiltered(leaf, sqlite=like, postgresql=indexed)

    def _indexed(self, node: Filter) -> Condition | None:
        """An index's condition on the rows ``node`` selects: ``x eq value`` on an element whose ``x`` it
        holds, alone or in a conjunction (Entra's ``emails[type eq "work"].value eq``)."""
        match node:
            case Comparison(op="eq", path=path, value=str(value)) if path in self.target.indexed:
                return self.target.indexed[path](self.target.resource, value.lower())
            case And(operands=operands):
                return next((found for operand in operands if (found := self._indexed(operand)) is not None), None)
        return None

    def _hint(self, node: Filter) -> str | None:
        """A LIKE pattern the text of every resource ``node`` selects matches: a text comparison's, or one
        of a conjunction's parts (Entra's ``emails[type eq "work"].value eq ...``)."""
        match node:
            case Comparison(op=op, value=str(value)) if op in _TEXT_OPS:
                return text_hint(value, folds_case(self.schema.definition(node.path)))
            case And(operands=operands):  # any part's will do: the longest, as the likeliest to be rare
                return max((hint for operand in operands if (hint := self._hint(operand)) is not None),
                           key=len, default=None)
        return None

    def _element_leaf(self, node: Comparison | Present, document: ColumnElement[Any]) -> Condition:
        keys = _sub(node.path)
        return self._json_leaf(node, json_kind(document, keys), document, keys)

    def _json_leaf(self, node: Comparison | Present, kind: ColumnElement[Any], document: ColumnElement[Any],
                   keys: Keys | None) -> Condition:
        """``node`` on the JSON value at ``keys`` of ``document`` (None: the document itself), of ``kind``."""
        if isinstance(node, Present):
            return _present(kind, json_text(document, keys))
        definition = self.schema.definition(node.path)
        if definition["type"] == "boolean":  # only eq remains after normalize
            return func.coalesce(kind, "") == ("true" if node.value else "false")
        if definition["type"] not in _JSON_TYPES:
            _unfilterable(node.path)  # dateTimes are filterable through columns only
        value, expected = _read(definition["type"], document, keys), node.value
        if folds_case(definition):
            value, expected = folded(value), expected.lower()  # type: ignore[union-attr]
        typed = func.coalesce(kind, "").in_(_JSON_TYPES[definition["type"]])
        return and_(typed, _OPERATORS[node.op](value, expected))

    def _column_leaf(self, node: Comparison | Present, column: ColumnElement[Any]) -> Condition:
        definition = self.schema.definition(node.path)
        if isinstance(node, Present):
            present = column.is_not(None)
            return and_(present, column != "") if definition["type"] == "string" else present
        expected: Any = node.value
        if definition["type"] == "dateTime":
            expected = parse_datetime(expected)  # aware UTC: the column type stores it as UTC
        elif node.path in self.target.lowered:
            expected = expected.lower()
        elif folds_case(definition):
            column, expected = folded(column), expected.lower()
        condition = _OPERATORS[node.op](column, expected)
        if node.op == "eq":
            # An IdP's lookup (userName, externalId, id eq ...) matches a row or two: unlikely() tells
            # SQLite so, and it reads the equality index instead of walking the paging index in order.
            condition = unlikely(condition)
        # IS NOT NULL keeps a NULL column from making the whole condition NULL under not().
        return and_(column.is_not(None), condition)

    def _each(self, path: AttributePath) -> Elements:
        """The elements of a multi-valued attribute: from elsewhere, or those of the resource's list."""
        attribute = attribute_path(path)
        if attribute in self.target.elements:
            return self.target.elements[attribute]()
        each = json_elements(self.target.resource, self._location(path)).table_valued("type", "value")
        return Elements(each, each.c.value, element_kind(each.c.type, each.c.value))

    def _location(self, path: AttributePath) -> tuple[str, ...]:
        """The JSON keys of a path's attribute in the stored resource: extensions live under their URN."""
        if attribute_path(path) in self.target.unfilterable:
            _unfilterable(path)
        if attribute_path(path) in self.target.elements:
            _unfilterable(path, "sorted on")  # only sorting reads a list of elements by position
        return (path.name,) if path.urn == self.schema.core else (path.urn, path.name)
