"""Apply PATCH operations to a stored resource (RFC 7644 §3.5.2): pure, atomic, and idempotent.

Every attribute is handled as a list of elements (a singular one as a list of at most one), so one
set of functions serves simple, complex and multi-valued attributes and value paths alike:
select the elements a path names, then write (update the selected, or create one), or remove.

Decisions where the RFC and the identity providers part ways (see SCIM-NOTES):
- add/replace through a value path that matches nothing creates the element from the filter's
  ``eq`` terms (Entra: ``replace emails[type eq "work"].value`` when there is no work email);
- remove through a path that matches nothing is a no-op, not 400 noTarget: Okta and Entra repeat
  membership removals, and a redelivered command must succeed again;
- a complex value is merged sub-attribute by sub-attribute, for add and replace alike
  (RFC 7644 §3.5.2.3: "Sub-attributes that are not specified ... are left unchanged").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from contracts.filters import And, Comparison, Filter
from shared.scim.attributes import Definition, ResourceSchema, sub_definition
from shared.scim.errors import ScimError, invalid_value
from shared.scim.filter_match import element_matcher
from shared.scim.patch_parse import PatchOperation, PatchPath, parse_patch
from shared.scim.resource import schemas_of

__all__ = ["PatchOperation", "PatchPath", "apply_patch", "parse_patch"]

Elements = list[Any]


def apply_patch(resource: dict[str, Any], operations: list[PatchOperation],
                schema: ResourceSchema) -> tuple[dict[str, Any], bool]:
    """RFC 7644 §3.5.2: the patched copy and whether it differs; all operations apply or none do.

    The copy shares the values the operations leave alone with ``resource``: every change builds new
    elements and lists, and only the top level and the extensions' containers are written to, so only
    those are copied (a deep copy of a 100-member group was a tenth of its PATCH)."""
    before = _tidy(dict(resource), schema)
    after = {key: dict(value) if key in schema.extensions and isinstance(value, dict) else value
             for key, value in before.items()}
    for operation in operations:
        _apply(after, operation, schema)
    _tidy(after, schema)
    _check_required(before, after, schema)
    return after, after != before


def _apply(resource: dict[str, Any], operation: PatchOperation, schema: ResourceSchema) -> None:
    if operation.op == "keep":
        return _keep(resource, operation)
    attribute = operation.path.attribute
    container = resource if attribute.urn == schema.core else resource.setdefault(attribute.urn, {})
    definition = schema.attribute(attribute)
    before = _elements(container.get(definition["name"]), definition)
    after = _changed(before, operation, definition, schema)
    if definition["multiValued"]:
        after = _one_primary(before, after)
    elif len(after) > 1:
        raise ScimError(400, f"{definition['name']} holds one value and it does not match the filter", "noTarget")
    _store(container, definition, after)


def _keep(resource: dict[str, Any], operation: PatchOperation) -> None:
    """A readOnly attribute sent with its stored value is ignored; with another value, refused.

    The store passes ``id`` in the resource for this check; what it does not hold is not compared.
    """
    name = operation.path.attribute.name
    if name in resource and operation.value is not None and operation.value != resource[name]:
        raise ScimError(400, f"{name} is readOnly and cannot be changed (RFC 7643 §2.2)", "mutability")


def _changed(elements: Elements, operation: PatchOperation, definition: Definition,
             schema: ResourceSchema) -> Elements:
    whole = operation.path.filter is None and operation.path.attribute.sub is None
    if operation.op == "remove" and whole:
        return _unlisted(elements, operation.value, definition)
    if operation.op == "remove":
        return _removed(elements, operation, definition, schema)
    if whole and definition["multiValued"]:
        return operation.value if operation.op == "replace" else _appended(elements, operation.value, definition)
    return _written(elements, operation, definition, schema)


def _written(elements: Elements, operation: PatchOperation, definition: Definition,
             schema: ResourceSchema) -> Elements:
    """Update the elements the path selects; none selected: add one (Entra's replace-as-add)."""
    sub, value = operation.path.attribute.sub, operation.value
    chosen = _selection(elements, operation.path, schema)
    if not any(chosen):
        return [*elements, _updated(definition, _seed(operation.path, definition), sub, value)]
    return [_updated(definition, e, sub, value) if c else e for e, c in zip(elements, chosen, strict=True)]


def _removed(elements: Elements, operation: PatchOperation, definition: Definition,
             schema: ResourceSchema) -> Elements:
    """RFC 7644 §3.5.2.2: drop the matching elements, or only their sub-attribute when one is named."""
    sub = operation.path.attribute.sub
    chosen = _selection(elements, operation.path, schema)
    if sub is None:
        return [e for e, c in zip(elements, chosen, strict=True) if not c]
    return [_updated(definition, e, sub, None) if c else e for e, c in zip(elements, chosen, strict=True)]


def _unlisted(elements: Elements, listed: Elements | None, definition: Definition) -> Elements:
    """Remove a whole attribute, or (Entra) only the values listed in the operation's ``value``."""
    if listed is None:
        return []
    index = _ValueIndex(definition, elements)
    gone = {i for item in listed for i in index.matching(elements, item)}
    return [e for i, e in enumerate(elements) if i not in gone]


def _appended(elements: Elements, values: Elements, definition: Definition) -> Elements:
    """RFC 7644 §3.5.2.1: new values are added; a value already there is merged, not repeated."""
    result = list(elements)
    known = _ValueIndex(definition, result)
    for value in values:
        index = next(known.matching(result, value), None)
        if index is None:
            known.add(len(result), value)
            result.append(value)
        elif isinstance(value, dict):  # what identifies it stays as stored; the rest is merged
            extra = {k: v for k, v in value.items() if k not in _identity(result[index], value)}
            result[index] = _updated(definition, result[index], None, extra)
    return result


def _updated(definition: Definition, element: Any, sub: str | None, value: Any) -> Any:
    """One element after writing ``value`` (None unsets ``sub``); immutable values must not change."""
    if sub is not None:
        new = {k: v for k, v in element.items() if k != sub} | ({} if value is None else {sub: value})
    elif definition["type"] == "complex":
        new = {**element, **value}
    else:
        new = value
    _check_immutable(definition, element, new)
    return new


def _check_immutable(definition: Definition, old: Any, new: Any) -> None:
    """RFC 7644 §3.5.2: a client MAY add a value to an immutable attribute only if it had none."""
    if isinstance(old, dict) and isinstance(new, dict):
        pairs = [(sub, old.get(sub["name"]), new.get(sub["name"])) for sub in definition.get("subAttributes", [])]
    else:
        pairs = [(definition, old, new)]
    for checked, before, after in pairs:
        if checked["mutability"] == "immutable" and before is not None and not _equal(checked, before, after):
            raise ScimError(400, f"{checked['name']} of {definition['name']} is immutable", "mutability")


def _selection(elements: Elements, path: PatchPath, schema: ResourceSchema) -> list[bool]:
    """Which elements a path names: all of them without a value filter (``name.givenName``, ``emails``)."""
    if path.filter is None:
        return [True] * len(elements)
    matches = element_matcher(path.filter, schema)
    return [matches(e) for e in elements]


def _seed(path: PatchPath, definition: Definition) -> Any:
    """The element a value path describes: its filter's ``eq`` terms, e.g. ``{"type": "work"}``."""
    if definition["type"] != "complex":
        return None
    return {} if path.filter is None else _described(path.filter)


def _described(node: Filter) -> dict[str, Any]:
    if isinstance(node, And):
        return {key: value for operand in node.operands for key, value in _described(operand).items()}
    if isinstance(node, Comparison) and node.op == "eq" and node.path.sub is not None:  # a value path's sub
        return {} if node.value is None else {node.path.sub: node.value}  # eq null: "not present"
    raise ScimError(400, "The filter matches no value and does not describe one to add", "noTarget")


_UNKEYED = object()  # a value the index cannot narrow (unhashable, or a candidate without "value")


class _ValueIndex:
    """Elements by the value ``_same`` compares first, so a candidate is compared with the elements that
    can match it instead of with all of them (a 100-member group PATCH made 10 000 comparisons).
    It only narrows: ``_same`` still decides."""

    def __init__(self, definition: Definition, elements: Elements) -> None:
        self._definition = definition
        # whether keys fold case: a complex element's by its "value" sub-attribute, a simple one's by itself
        self._folds = {True: not _sub(definition, "value").get("caseExact", True),
                       False: not definition.get("caseExact", True)}
        self._by_key: dict[Any, list[int]] = {}
        self._unkeyed: list[int] = []
        for index, element in enumerate(elements):
            self.add(index, element)

    def add(self, index: int, element: Any) -> None:
        key = self._key(element.get("value") if isinstance(element, dict) else element, isinstance(element, dict))
        (self._unkeyed if key is _UNKEYED else self._by_key.setdefault(key, [])).append(index)

    def matching(self, elements: Elements, candidate: Any) -> Iterator[int]:
        """Indexes of the elements ``candidate`` names, in order."""
        if isinstance(candidate, dict) and "value" not in candidate:
            indexes: Iterable[int] = range(len(elements))  # named by other sub-attributes: look at all
        else:
            key = self._key(candidate["value"] if isinstance(candidate, dict) else candidate,
                            isinstance(candidate, dict))
            indexes = range(len(elements)) if key is _UNKEYED else sorted(self._by_key.get(key, []) + self._unkeyed)
        return (i for i in indexes if _same(self._definition, elements[i], candidate))

    def _key(self, value: Any, complex_value: bool) -> Any:
        if isinstance(value, str) and self._folds[complex_value]:
            return value.lower()
        try:
            hash(value)
        except TypeError:
            return _UNKEYED
        return value


def _same(definition: Definition, element: Any, candidate: Any) -> bool:
    """Whether ``candidate`` names ``element``: by ``value`` (and ``type`` when both have one), else by
    every sub-attribute it gives. Entra removes members as ``{"$ref": null, "value": id}``."""
    if not isinstance(element, dict) or not isinstance(candidate, dict):
        return _equal(definition, element, candidate)
    keys = _identity(element, candidate)
    return bool(keys) and all(_equal(_sub(definition, k), element.get(k), candidate[k]) for k in keys)


def _identity(element: dict[str, Any], candidate: dict[str, Any]) -> list[str]:
    if "value" not in candidate:
        return list(candidate)
    return ["value", *(["type"] if "type" in element and "type" in candidate else [])]


def _equal(definition: Definition, a: Any, b: Any) -> bool:
    """RFC 7643 §2.2 caseExact: strings of a caseExact=false attribute compare case-insensitively."""
    if isinstance(a, str) and isinstance(b, str) and not definition.get("caseExact", True):
        return a.lower() == b.lower()
    return bool(a == b)


def _sub(definition: Definition, name: str) -> Definition:
    return sub_definition(definition, name) or {"name": name, "caseExact": True}


def _one_primary(before: Elements, after: Elements) -> Elements:
    """RFC 7643 §2.4: primary true "MUST appear no more than once"; the value just set wins."""
    primaries = [i for i, e in enumerate(after) if isinstance(e, dict) and e.get("primary") is True]
    if len(primaries) < 2:
        return after
    fresh = [i for i in primaries if after[i] not in before] or primaries[:1]
    if len(fresh) > 1:
        raise invalid_value("primary may be true on one value only (RFC 7643 §2.4)")
    return [{**e, "primary": False} if i in primaries and i != fresh[0] else e for i, e in enumerate(after)]


def _elements(value: Any, definition: Definition) -> Elements:
    if value is None:
        return []
    return list(value) if definition["multiValued"] else [value]


def _store(container: dict[str, Any], definition: Definition, elements: Elements) -> None:
    kept = [e for e in elements if e is not None and e != {}]
    if not kept:
        container.pop(definition["name"], None)
    else:
        container[definition["name"]] = kept if definition["multiValued"] else kept[0]


def _tidy(resource: dict[str, Any], schema: ResourceSchema) -> dict[str, Any]:
    """RFC 7643 §2.5: unassigned, null and [] are one state, so spell it one way (absent); keep
    ``schemas`` listing exactly the extensions that hold attributes (RFC 7643 §3)."""
    for key in [k for k, v in resource.items() if v is None or v == [] or v == {}]:
        del resource[key]
    resource["schemas"] = schemas_of(resource, schema)
    return resource


def _check_required(before: dict[str, Any], after: dict[str, Any], schema: ResourceSchema) -> None:
    """RFC 7644 §3.5.2.2: a required attribute that "becomes unassigned" is a mutability error."""
    for attribute in schema.attributes(schema.core):
        if attribute["required"] and attribute["name"] in before and attribute["name"] not in after:
            raise ScimError(400, f"{attribute['name']} is required and cannot be removed", "mutability")
