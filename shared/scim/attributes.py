"""Attribute lookup by path (RFC 7644 §3.10): the characteristics filters, patches and projections obey.

Names are case-insensitive (RFC 7643 §2.1) and may carry their schema URN; extension attributes must.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from contracts.filters import AttributePath
from shared.scim.schemas import (
    ENTERPRISE_SCHEMA,
    EXTENSION_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
    definitions,
)

Definition = dict[str, Any]


@dataclass(frozen=True)
class ResourceSchema:
    """One resource type's core schema and extensions, with their attributes indexed by lower-cased name."""

    name: str
    core: str
    extensions: tuple[str, ...]
    _attributes: dict[str, dict[str, Definition]] = field(repr=False, compare=False)

    @property
    def urns(self) -> tuple[str, ...]:
        return (self.core, *self.extensions)

    def schema_urn(self, text: str) -> str | None:
        """The canonical URN if ``text`` names one of this resource's schemas, else None."""
        return self._urns_by_lowered.get(text.lower())

    @functools.cached_property
    def _urns_by_lowered(self) -> dict[str, str]:  # every member of every body is asked about
        return {urn.lower(): urn for urn in self.urns}

    def resolve(self, text: str) -> AttributePath | None:
        """``[urn:]name[.sub]`` to a canonical path, or None if no such attribute exists here."""
        return _resolved(self, text)

    def _resolve(self, text: str) -> AttributePath | None:
        urn, rest = self._split_urn(text)
        if urn is None or not rest:
            return None
        name, _, sub = rest.partition(".")
        attribute = self._attributes[urn].get(name.lower())
        if attribute is None:
            return None
        if not sub:
            return AttributePath(urn=urn, name=attribute["name"])
        sub_attribute = sub_definition(attribute, sub)
        if sub_attribute is None:
            return None
        return AttributePath(urn=urn, name=attribute["name"], sub=sub_attribute["name"])

    def definition(self, path: AttributePath) -> Definition:
        """The definition a resolved path points at (the sub-attribute's when it has one)."""
        attribute = self.attribute(path)
        if path.sub is None:
            return attribute
        sub = sub_definition(attribute, path.sub)
        if sub is None:  # not a path this schema resolved: a KeyError, as attribute() gives for one
            raise KeyError(str(path))
        return sub

    def attribute(self, path: AttributePath) -> Definition:
        """The top-level attribute of a resolved path (the parent when it names a sub-attribute)."""
        return self._attributes[path.urn][path.name.lower()]

    def attributes(self, urn: str) -> list[Definition]:
        return list(self._attributes[urn].values())

    def _split_urn(self, text: str) -> tuple[str | None, str]:
        lowered = text.lower()
        # Longest first: no URN of ours is a prefix of another today, but that must not matter.
        for urn in sorted(self.urns, key=len, reverse=True):
            if lowered.startswith(urn.lower() + ":"):
                return urn, text[len(urn) + 1:]
        return (None, text) if lowered.startswith("urn:") else (self.core, text)


@functools.lru_cache(maxsize=4096)
def _resolved(schema: ResourceSchema, text: str) -> AttributePath | None:
    """Resolutions kept: every request names the same few attributes (paths are frozen, so shared);
    bounded, as the names come from clients."""
    return schema._resolve(text)


def sub_definition(attribute: Definition, name: str) -> Definition | None:
    """A complex attribute's sub-attribute by (case-insensitive) name, or None."""
    subs = attribute.get("subAttributes")
    if subs is None:
        return None
    indexed = _SUB_INDEX.get(id(attribute))
    if indexed is None or indexed[0] is not attribute:  # not one of the schemas' own definitions
        return next((sub for sub in subs if sub["name"].lower() == name.lower()), None)
    return indexed[1].get(name.lower())


#: The schemas' complex attributes' sub-attributes by lower-cased name (a 100-member group PATCH asks
#: ~400 times), by ``id`` of the attribute; the entry holds the attribute, so the id is never reused.
_SUB_INDEX: dict[int, tuple[Definition, dict[str, Definition]]] = {}


def _index_subs(attributes: list[Definition]) -> None:
    for attribute in attributes:
        if subs := attribute.get("subAttributes"):
            _SUB_INDEX[id(attribute)] = (attribute, {sub["name"].lower(): sub for sub in subs})


def _resource_schema(name: str, core: str, extensions: tuple[str, ...]) -> ResourceSchema:
    by_urn = definitions()
    index = {urn: {a["name"].lower(): a for a in by_urn[urn]} for urn in (core, *extensions)}
    for urn in (core, *extensions):
        _index_subs(by_urn[urn])
    return ResourceSchema(name, core, extensions, index)


USER = _resource_schema("User", USER_SCHEMA, (ENTERPRISE_SCHEMA, EXTENSION_SCHEMA))
GROUP = _resource_schema("Group", GROUP_SCHEMA, ())
