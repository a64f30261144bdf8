"""A group PATCH that only adds and removes listed members (Entra's every membership sync), as a delta.

Such a PATCH is applied as set operations on the members it names: its cost follows the PATCH, not the
group (the general way reads, patches and re-validates the whole member list, every time). Okta repeats
the group's id and displayName with each of its membership updates: the delta keeps them as
expectations, for the store to check on the stored group (a real rename goes the general way). Anything
else (a replace or removal of the whole list, another filter, another attribute) returns None and goes
the general way (shared/scim/patch.py), which also reports what is wrong with a bad PATCH.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from contracts.filters import Comparison
from shared.scim.attributes import GROUP
from shared.scim.errors import ScimError
from shared.scim.patch import PatchOperation, parse_patch


@dataclass(frozen=True)
class MemberDelta:
    """Each member the PATCH names and whether it is to be one (True) after it: the last operation naming a
    user decides, as applying them one by one would. ``as_stored``: attributes the PATCH sets that must
    already hold these values for it to change members only (else it is a rename: the general way)."""

    wanted: dict[str, bool]
    as_stored: dict[str, str]

    def holds_for(self, group_id: str, display_name: str) -> bool:
        stored = {"id": group_id, "displayName": display_name}
        return all(stored[name] == value for name, value in self.as_stored.items())


def member_delta(patch: Mapping[str, Any]) -> MemberDelta | None:
    """The PATCH as a delta of members, or None when it must go the general way."""
    try:
        operations = parse_patch(patch, GROUP)
    except ScimError:
        return None
    delta = MemberDelta({}, {})
    for operation in operations:
        if (expected := _expected(operation)) is not None:
            delta.as_stored[operation.path.attribute.name] = expected
        elif (named := _members_named(operation)) is not None:
            delta.wanted.update((user_id, operation.op == "add") for user_id in named)
        else:
            return None
    return delta


def _expected(operation: PatchOperation) -> str | None:
    """The value of Okta's repeated id (a readOnly "keep") or displayName (a replace), else None."""
    name, path = operation.path.attribute.name, operation.path
    repeated = (operation.op, name) in (("keep", "id"), ("replace", "displayName"))
    plain = path.filter is None and path.attribute.sub is None and isinstance(operation.value, str)
    return operation.value if repeated and plain else None


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
    ids = [user_id for user_id in named if isinstance(user_id, str) and _plain_id(user_id, operation.op)]
    return ids if len(ids) == len(named) else None


def _is_value_eq(node: object) -> TypeGuard[Comparison]:
    return isinstance(node, Comparison) and node.op == "eq" and node.path.sub == "value"


def _plain_id(user_id: object, op: str) -> bool:
    """A non-empty string; for a removal also one that case-folding cannot match to another stored id (the
    general way compares members.value as the schema says; our ids are lower-case)."""
    return isinstance(user_id, str) and bool(user_id) and (op == "add" or user_id == user_id.lower())
