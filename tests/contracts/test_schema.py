"""The committed wire schema (contracts/schema.json) only ever grows compatibly within a version."""

import json

import pytest

from contracts.schema import SNAPSHOT, current_schema, render


def incompatibilities(old: dict, new: dict, where: str = "") -> list[str]:
    """What a consumer built on ``old`` would break on: removed/retyped fields, new required ones."""
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}{name}: removed")
        elif _type_of(old_prop) != _type_of(new_props[name]):
            problems.append(f"{where}{name}: type {_type_of(old_prop)} -> {_type_of(new_props[name])}")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{where}{name}: newly required")
    for name, old_def in old.get("$defs", {}).items():
        problems += incompatibilities(old_def, new.get("$defs", {}).get(name, {}), f"{where}{name}.")
    return problems


def _type_of(prop: dict) -> object:
    return prop.get("type") or prop.get("$ref") or [p.get("type") or p.get("$ref") for p in prop.get("anyOf", [])]


def test_no_message_changed_incompatibly():
    old, new = json.loads(SNAPSHOT.read_text()), current_schema()
    problems = [f"{kind}: {p}" for kind, schema in old.items()
                for p in (incompatibilities(schema, new[kind]) if kind in new else ["type removed"])]
    assert not problems, "incompatible v1 change; add a v2 message instead:\n" + "\n".join(problems)


def test_snapshot_is_current():
    """Compatible changes still need the snapshot regenerated: python -m contracts.schema"""
    assert SNAPSHOT.read_text() == render(current_schema())


@pytest.mark.parametrize(("change", "expected"), [
    ({"properties": {}, "required": []}, "a: removed"),
    ({"properties": {"a": {"type": "integer"}}, "required": []}, "a: type string -> integer"),
    ({"properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["b"]}, "b: newly required"),
])
def test_the_checker_catches_each_kind_of_break(change, expected):
    old = {"properties": {"a": {"type": "string"}}, "required": []}
    assert incompatibilities(old, change) == [expected]
