"""A group PATCH that only adds and removes listed members (Entra's every membership sync), as a delta.

Such a PATCH is applied as set operations on the members it names: its cost follows the PATCH, not the
group (the general way reads, patches and re-validates the whole member list, every time). Anything
else (a replace or removal of the whole list, another filter, another attribute, Okta's rename that
comes with each of its membership updates) returns None and goes the general way (shared/scim/patch.py),
which also reports what is wrong with a bad PATCH.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.filters import Comparison
from shared.scim.attributes import GROUP
from shared.scim.errors import ScimError
from shared.scim.patch import PatchOperation, parse_patch


def member_delta(patch: Mapping[str, Any]) -> dict[str, bool] | None:
    """Each member the PATCH names, and whether it is to be one (True) or not (False) after it: the last
    operation naming a user decides, as applying the operations one by one would."""
    try:
        operations = parse_patch(patch, GROUP)
    except ScimError:
        return None
    wanted: dict[str, bool] = {}
    for operation in operations:
        named = _members_named(operation)
        if named is None:
            return None
        wanted.update((user_id, operation.op == "add") for user_id in named)
    return wanted


def _members_named(operation: PatchOperation) -> list[str] | None:
    """The member ids an add or remove of listed members names; None for any other operation."""
    path = operation.path
    if operation.op not in ("add", "remove") or path.attribute.name != "members" or path.attribute.sub:
        return None
    if path.filter is None:
        values = operation.value
        if not isinstance(values, list) or not values:  # a remove without value empties the group
            return None
        named = [value.get("value") if isinstance(value, dict) else None for value in values]
    elif operation.op == "remove" and operation.value is None and _is_value_eq(path.filter):
        named = [path.filter.value]  # Okta's remove of members[value eq "id"]
    else:
        return None
    return named if all(_plain_id(user_id, operation.op) for user_id in named) else None


def _is_value_eq(node: object) -> bool:
    return isinstance(node, Comparison) and node.op == "eq" and node.path.sub == "value"


def _plain_id(user_id: object, op: str) -> bool:
    """A non-empty string; for a removal also one that case-folding cannot match to another stored id (the
    general way compares members.value as the schema says; our ids are lower-case)."""
    return isinstance(user_id, str) and bool(user_id) and (op == "add" or user_id == user_id.lower())
