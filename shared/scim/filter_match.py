"""Evaluate a filter AST in memory (RFC 7644 §3.4.2.2): the PATCH engine's selector and the SQL compiler's oracle.

Both evaluators first ``normalize`` the tree, so the semantics below live in one place:

- ``ne`` is exactly ``not eq``: a missing attribute is "not equal" to anything, and a multi-valued
  attribute is ``ne v`` when no element equals ``v``.
- ``eq null`` is ``not pr`` and ``ne null`` is ``pr`` (RFC 7643 §2.5: unassigned and null are alike).
- ``emails.value eq "x"`` becomes ``emails[value eq "x"]``: any one element decides (RFC 7644 §3.4.2.2);
  a value path on a single-valued complex attribute is that attribute, when present.
- ``pr``: present and not null, "", [] or {}. A multi-valued attribute matches if any element does.
- Strings fold case unless caseExact (RFC 7643 §2.3.1); dateTimes compare as instants; a stored value of
  the wrong JSON type matches nothing.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

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
from shared.scim.attributes import Definition, ResourceSchema
from shared.scim.errors import invalid_filter
from shared.scim.filter_values import (
    attribute_of,
    attribute_path,
    check_path,
    checked_value,
    folds_case,
    is_kind,
    parse_datetime,
)

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le,
    "co": lambda actual, expected: expected in actual,
    "sw": lambda actual, expected: actual.startswith(expected),
    "ew": lambda actual, expected: actual.endswith(expected),
}


def matches(node: Filter, resource: dict[str, Any], schema: ResourceSchema) -> bool:
    """Whether a resource as stored or rendered (extensions under their URN key) satisfies the filter."""
    return _holds(normalize(node, schema), resource, schema, element=False)


def element_matches(node: Filter, element: dict[str, Any], schema: ResourceSchema) -> bool:
    """Whether one element of a multi-valued attribute satisfies a value path's inner filter (RFC 7644 §3.5.2)."""
    return element_matcher(node, schema)(element)


def element_matcher(node: Filter, schema: ResourceSchema) -> Callable[[Any], bool]:
    """``element_matches`` for many elements: the filter is checked and normalized once. The common
    ``value eq "..."`` (Okta's ``members[value eq "id"]``, one per member removed) compares directly."""
    normalized = normalize(node, schema, element=True)
    if isinstance(normalized, Comparison):
        definition, sub = schema.definition(normalized.path), normalized.path.sub
        op, expected = normalized.op, normalized.value
        return lambda element: isinstance(element, dict) and compare(definition, op, element.get(sub), expected)
    return lambda element: isinstance(element, dict) and _holds(normalized, element, schema, element=True)


def normalize(node: Filter, schema: ResourceSchema, *, element: bool = False) -> Filter:
    """The checked tree both evaluators run: only eq and the other positive operators, and value paths for
    every multi-valued sub-attribute. ``element``: ``node`` is a value path's inner filter."""
    match node:
        case And(operands=operands):
            return And(operands=[normalize(operand, schema, element=element) for operand in operands])
        case Or(operands=operands):
            return Or(operands=[normalize(operand, schema, element=element) for operand in operands])
        case Not(operand=operand):
            return Not(operand=normalize(operand, schema, element=element))
        case ValuePath(path=path, filter=inner):
            if element or schema.definition(check_path(path, schema))["type"] != "complex":
                raise invalid_filter(f"Invalid filter: {path}[...] must be a complex attribute, not nested")
            inner = normalize(inner, schema, element=True)
            if attribute_of(path, schema)["multiValued"]:
                return ValuePath(path=path, filter=inner)
            return And(operands=[Present(path=path), inner])
    return _leaf(node, schema, element)


def _leaf(node: Comparison | Present, schema: ResourceSchema, element: bool) -> Filter:
    path = check_path(node.path, schema)
    if isinstance(node, Comparison):
        value = checked_value(str(path), schema.definition(path), node.op, node.value)
        if node.op == "ne":
            return Not(operand=_leaf(Comparison(path=path, op="eq", value=value), schema, element))
        if value is None:
            return Not(operand=_leaf(Present(path=path), schema, element))
        node = Comparison(path=path, op=node.op, value=value)
    if not element and path.sub is not None and attribute_of(path, schema)["multiValued"]:
        return ValuePath(path=attribute_path(path), filter=node)
    return node


def is_present(value: object) -> bool:
    """RFC 7644 §3.4.2.2 ``pr``: a value that is not null and not an empty string, list or object."""
    return value is not None and not (isinstance(value, str | list | dict) and len(value) == 0)


def compare(definition: Definition, op: str, actual: object, expected: object) -> bool:
    """One stored value against a (checked) filter value, by the attribute's type (RFC 7644 §3.4.2.2)."""
    kind = definition["type"]
    if not is_kind(kind, actual):
        return False
    if kind == "dateTime":
        actual, expected = parse_datetime(actual), parse_datetime(expected)
        if actual is None:
            return False
    elif folds_case(definition) and isinstance(actual, str) and isinstance(expected, str):
        actual, expected = actual.lower(), expected.lower()
    return _OPERATORS[op](actual, expected)


def _holds(node: Filter, data: dict[str, Any], schema: ResourceSchema, element: bool) -> bool:
    match node:
        case And(operands=operands):
            return all(_holds(operand, data, schema, element) for operand in operands)
        case Or(operands=operands):
            return any(_holds(operand, data, schema, element) for operand in operands)
        case Not(operand=operand):
            return not _holds(operand, data, schema, element)
        case ValuePath(path=path, filter=inner):
            items = _values(path, data, schema, element)
            return any(isinstance(item, dict) and _holds(inner, item, schema, True) for item in items)
        case Present(path=path):
            return any(map(is_present, _values(path, data, schema, element)))
        case Comparison(path=path, op=op, value=expected):
            definition = schema.definition(path)
            return any(compare(definition, op, actual, expected) for actual in _values(path, data, schema, element))
    raise TypeError(f"not a filter node: {node!r}")


def _values(path: AttributePath, data: dict[str, Any], schema: ResourceSchema, element: bool) -> list[Any]:
    """The candidate values a path names: one, or each element of a multi-valued attribute."""
    if element:
        return [] if path.sub is None else [data.get(path.sub)]  # an element's paths name its keys
    value = _child(data if path.urn == schema.core else _child(data, path.urn), path.name)
    if path.sub is not None:
        value = _child(value, path.sub)
    return value if isinstance(value, list) and attribute_of(path, schema)["multiValued"] else [value]


def _child(value: object, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None
