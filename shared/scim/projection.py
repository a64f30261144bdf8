"""Which attributes a response carries (RFC 7644 §3.4.2.5, §3.9; RFC 7643 §2.4 ``returned``).

``attributes`` replaces the default set (plus what is ``returned: always``); ``excludedAttributes``
removes from it. ``returned: never`` attributes never leave, ``request`` ones only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from contracts.filters import Filter, ValuePath
from shared.scim.attributes import Definition, ResourceSchema, sub_definition
from shared.scim.errors import invalid_filter
from shared.scim.filter_match import element_matcher
from shared.scim.filter_parser import parse_filter

ALWAYS = ("schemas",)  # not an attribute, but every representation needs it (RFC 7643 §3)
#: (schema URN, attribute name, sub-attribute name or None): one named attribute, canonically spelt.
Named = tuple[str, str, str | None]


@dataclass(frozen=True)
class Selection:
    """The parsed ``attributes`` / ``excludedAttributes`` of one request (names canonical)."""

    attributes: frozenset[Named] = frozenset()
    excluded: frozenset[Named] = frozenset()
    whole_schemas: frozenset[str] = frozenset()  # ``attributes=urn:...:enterprise:2.0:User``
    excluded_schemas: frozenset[str] = frozenset()  # ``excludedAttributes=urn:...:enterprise:2.0:User``
    #: ``attributes=emails[type eq "work"]`` (Microsoft's Postman collection): only matching elements.
    element_filters: Mapping[tuple[str, str], Filter] = field(default_factory=dict)

    def omits(self, urn: str, name: str) -> bool:
        """True when no part of attribute ``name`` can be in the response (so it need not be loaded)."""
        if self.explicit:
            return urn not in self.whole_schemas and not any((u, n) == (urn, name) for u, n, _ in self.attributes)
        return (urn, name, None) in self.excluded or urn in self.excluded_schemas

    @property
    def explicit(self) -> bool:
        """``attributes`` was given: only what it names (and ``always``) is returned."""
        return bool(self.attributes or self.whole_schemas)


def parse_selection(schema: ResourceSchema, attributes: Iterable[str] = (),
                    excluded: Iterable[str] = ()) -> Selection:
    """Unknown names are ignored: asking for an attribute we lack returns the rest (RFC 7644 §3.9)."""
    attributes = list(attributes)
    value_paths = [_value_path(name, schema) for name in attributes if "[" in name]
    wanted, urns = _paths(schema, [name for name in attributes if "[" not in name])
    wanted |= {(node.path.urn, node.path.name, None) for node in value_paths}
    unwanted, unwanted_urns = _paths(schema, excluded)
    filters = {(node.path.urn, node.path.name): node.filter for node in value_paths}
    return Selection(wanted, unwanted, urns, unwanted_urns, filters)


def split_names(value: str | list[str] | None) -> list[str]:
    """Query parameters are comma-separated; a SearchRequest body may send a list (RFC 7644 §3.4.3)."""
    names = value.split(",") if isinstance(value, str) else (value or [])
    return [name.strip() for name in names if name and name.strip()]


def project(resource: Mapping[str, Any], schema: ResourceSchema, selection: Selection) -> dict[str, Any]:
    """The representation of ``resource`` the request asked for."""
    result: dict[str, Any] = {key: resource[key] for key in ALWAYS if key in resource}
    default = not selection.explicit and not selection.excluded and not selection.excluded_schemas
    for urn in schema.urns:
        container = resource if urn == schema.core else resource.get(urn)
        if not isinstance(container, Mapping):
            continue
        if default:  # most requests (every page of an import): no per-attribute decisions to make
            kept = {name: container[name] for name in _returned_by_default(schema, urn)
                    if container.get(name) is not None}
        else:
            kept = _project_schema(container, schema, urn, selection)
        if kept and urn == schema.core:
            result.update(kept)
        elif kept:
            result[urn] = kept
    return result


@cache
def _returned_by_default(schema: ResourceSchema, urn: str) -> tuple[str, ...]:
    """The attributes of ``urn`` a request without attributes / excludedAttributes gets, in schema order."""
    return tuple(attribute["name"] for attribute in schema.attributes(urn)
                 if attribute["returned"] not in ("never", "request"))


def _value_path(text: str, schema: ResourceSchema) -> ValuePath:
    node = parse_filter(text, schema)
    if not isinstance(node, ValuePath):
        raise invalid_filter(f"{text!r} is not an attribute or a value path")
    return node


def _paths(schema: ResourceSchema, names: Iterable[str]) -> tuple[frozenset[Named], frozenset[str]]:
    paths: set[Named] = set()
    urns: set[str] = set()
    for name in names:
        urn = schema.schema_urn(name)
        if urn is not None:
            urns.add(urn)
        elif (path := schema.resolve(name)) is not None:
            paths.add((path.urn, path.name, path.sub))
    return frozenset(paths), frozenset(urns)


def _project_schema(container: Mapping[str, Any], schema: ResourceSchema, urn: str,
                    selection: Selection) -> dict[str, Any]:
    kept = {}
    for attribute in schema.attributes(urn):
        name = attribute["name"]
        if name in container:
            value = _project_attribute(attribute, container[name], schema, urn, selection)
            if value is not None:
                kept[name] = value
    return kept


def _project_attribute(attribute: Definition, value: Any, schema: ResourceSchema, urn: str,
                       selection: Selection) -> Any:
    name, returned = attribute["name"], attribute["returned"]
    if returned == "never":
        return None
    if returned == "always" or urn in selection.whole_schemas:
        return value
    key = (urn, name, None)
    if selection.explicit:
        if (urn, name) in selection.element_filters:
            keep = selection.element_filters[urn, name]
            matches = element_matcher(keep, schema)
            return [e for e in value if isinstance(e, Mapping) and matches(e)] or None
        if key in selection.attributes:
            return value
        subs = {sub for (u, n, sub) in selection.attributes if (u, n) == (urn, name) and sub}
        return _keep_subs(attribute, value, subs) if subs else None
    if key in selection.excluded or urn in selection.excluded_schemas or returned == "request":
        return None
    dropped = {sub for (u, n, sub) in selection.excluded if (u, n) == (urn, name) and sub}
    return _drop_subs(attribute, value, dropped) if dropped else value


def _keep_subs(attribute: Definition, value: Any, subs: set[str]) -> Any:
    always = {sub["name"] for sub in attribute.get("subAttributes", []) if sub["returned"] == "always"}
    return _map_elements(value, lambda element: {k: v for k, v in element.items() if k in subs | always})


def _drop_subs(attribute: Definition, value: Any, subs: set[str]) -> Any:
    dropped = {name for name in subs
               if (sub := sub_definition(attribute, name)) is not None and sub["returned"] != "always"}
    return _map_elements(value, lambda element: {k: v for k, v in element.items() if k not in dropped})


def _map_elements(value: Any, keep: Callable[[Mapping[str, Any]], dict[str, Any]]) -> Any:
    if isinstance(value, list):
        kept = [keep(element) for element in value if isinstance(element, Mapping)]
        return [element for element in kept if element] or None
    return (keep(value) or None) if isinstance(value, Mapping) else None
