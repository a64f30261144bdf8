"""Validate a PatchOp request (RFC 7644 §3.5.2) into operations on resolved attribute paths.

Everything that does not depend on the stored resource is checked here, so the gateway can refuse a
bad request before publishing it: structure, paths, readOnly targets and value types. Values are
brought to their stored form (canonical names, Entra's "True"/"False" as booleans) by the same rules
as a POST/PUT body (shared.scim.resource).

Path-less operations and operations on a bare schema URN are spread into one operation per
attribute, so the engine (shared.scim.patch) only ever sees attribute paths.

Decisions (see SCIM-NOTES):
- a path to a readOnly attribute is 400 mutability; readOnly keys of a path-less value are ignored,
  as in PUT, because Okta's group rename sends ``{"id": ..., "displayName": ...}``;
- an unknown key of a path-less value is 400 invalidPath, like an unknown path: Entra sends the same
  change either way (with or without aadOptscim062020), so both must fail or succeed alike;
- null (and [] for a whole multi-valued attribute in a replace) unsets (RFC 7643 §2.5); a null
  sub-attribute inside a value is dropped (Entra's ``"$ref": null``); writeOnly ``password`` is
  accepted and not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from contracts.filters import AttributePath, Filter, ValuePath
from shared.scim.attributes import Definition, ResourceSchema
from shared.scim.errors import ScimError, invalid_path, invalid_value
from shared.scim.filter_parser import parse_filter
from shared.scim.resource import stored_value

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ClientOp = Literal["add", "replace", "remove"]
OPS: tuple[ClientOp, ...] = ("add", "replace", "remove")
#: "keep" is ours: a readOnly member of a path-less value must equal what is stored (see _keyed).
Op = Literal[ClientOp, "keep"]
_MISSING = object()


@dataclass(frozen=True)
class PatchPath:
    """RFC 7644 §3.5.2 ``PATH = attrPath / valuePath [subAttr]``, resolved against the schema.

    ``attribute.sub`` is set for ``name.givenName`` and for ``emails[type eq "work"].value``;
    ``filter`` is the inner filter of a value path (its paths' ``sub`` is the element's key).
    """

    attribute: AttributePath
    filter: Filter | None = None


@dataclass(frozen=True)
class PatchOperation:
    """One operation in stored form. ``value`` None means: unset (add/replace), everything (remove)."""

    op: Op
    path: PatchPath
    value: Any = None


def parse_patch(body: Any, schema: ResourceSchema) -> list[PatchOperation]:
    """RFC 7644 §3.5.2: the operations of a PatchOp body, in order, or ScimError 400."""
    return [operation for raw in _raw_operations(body) for operation in _operation(raw, schema)]


def parse_path(text: str, schema: ResourceSchema) -> PatchPath:
    """RFC 7644 §3.5.2 PATH: ``[urn:]attr[.sub]`` or ``[urn:]attr[filter][.sub]``, else 400 invalidPath."""
    text = text.strip()
    if "[" not in text:
        return PatchPath(_resolve(text, schema))
    attribute, _, rest = text.partition("[")
    inner, bracket, tail = rest.rpartition("]")
    path = _resolve(attribute, schema)
    if not bracket or path.sub is not None or (tail and not tail.startswith(".")):
        raise invalid_path(f"Malformed value path {text!r}")
    # The client's spelling keeps filter error positions right; Entra's URN-less "manager" needs the URN.
    node = parse_filter(f"{attribute if schema.resolve(attribute) else path}[{inner}]", schema)
    if not isinstance(node, ValuePath):
        raise invalid_path(f"{text!r} is not an attribute path")
    return PatchPath(_resolve(f"{node.path}{tail}", schema) if tail else node.path, node.filter)


def _raw_operations(body: Any) -> list[Any]:
    # Entra: "Don't require a case-sensitive match on structural elements" (member names, op, URNs).
    if not isinstance(body, Mapping):
        raise _syntax("The request body must be a JSON object")
    schemas = _member(body, "schemas")
    if not isinstance(schemas, list) or PATCH_OP.lower() not in {str(urn).lower() for urn in schemas}:
        raise _syntax(f"schemas must include {PATCH_OP}")
    operations = _member(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise _syntax("Operations must be a non-empty list")
    return operations


def _operation(raw: Any, schema: ResourceSchema) -> list[PatchOperation]:
    if not isinstance(raw, Mapping):
        raise _syntax("Each operation must be a JSON object")
    op, path, value = _client_op(_member(raw, "op")), _member(raw, "path"), _member(raw, "value", _MISSING)
    if path is not None and not isinstance(path, str):
        raise invalid_path("path must be a string")
    if op == "remove" and not path:
        raise ScimError(400, "A remove operation needs a path (RFC 7644 §3.5.2.2)", "noTarget")
    if op != "remove" and value is _MISSING:
        raise _syntax(f"An {op} operation needs a value (RFC 7644 §3.5.2.1, §3.5.2.3)")
    urn = schema.schema_urn(path.strip()) if path else None
    if not path or urn:
        return _spread(op, urn, value, schema)
    target = parse_path(path, schema)
    _check_writable(target, schema, path)
    return _targeted(op, target, value, schema, path)


def _client_op(raw: Any) -> ClientOp:
    """The operation's ``op``, in any case (Entra sends "Replace"), else 400 invalidSyntax."""
    op = next((op for op in OPS if isinstance(raw, str) and raw.lower() == op), None)
    if op is None:
        raise _syntax(f"op must be one of {', '.join(OPS)}, not {raw!r}")
    return op


def _spread(op: ClientOp, urn: str | None, value: Any, schema: ResourceSchema) -> list[PatchOperation]:
    """No path (RFC 7644 §3.5.2.1: the resource itself) or a schema URN: one operation per attribute."""
    if op == "remove" and urn is not None:  # a remove has a path, so a URN: unset all the client may write
        return [PatchOperation(op, PatchPath(AttributePath(urn=urn, name=a["name"])))
                for a in schema.attributes(urn) if a["mutability"] != "readOnly"]
    if not isinstance(value, Mapping):
        raise invalid_value(f"The value of a path-less {op} (or one on a schema URN) must be an object")
    # Generic clients copy a whole extension object, "schemas" too, as the value of its URN path: ignored
    # there as in a path-less value (_keyed), since the server keeps schemas in step (RFC 7643 §3).
    return [operation for key, member in value.items() if not (urn and key.lower() == "schemas")
            for operation in _keyed(op, f"{urn}:{key}" if urn else key, member, schema)]


def _keyed(op: ClientOp, key: str, value: Any, schema: ResourceSchema) -> list[PatchOperation]:
    """One member of a path-less value: an attribute, ``name.givenName`` (Entra), or a schema URN."""
    urn = schema.schema_urn(key)
    if urn is not None:
        return _spread(op, urn, value, schema)
    if key.lower() == "schemas":
        return []  # the server keeps schemas in step with the attributes (RFC 7643 §3)
    target = PatchPath(_resolve(key, schema))
    if _read_only(target, schema):
        # Okta's group rename repeats the group's own "id": fine. A different value would be a change
        # of a readOnly attribute: 400 mutability (RFC 7643 §2.2), decided against the stored state.
        return [PatchOperation("keep", target, value)]
    return _targeted(op, target, value, schema, key)


def _targeted(op: ClientOp, target: PatchPath, value: Any, schema: ResourceSchema, where: str) -> list[PatchOperation]:
    definition = schema.definition(target.attribute)
    element = target.filter is not None and target.attribute.sub is None  # e.g. emails[type eq "work"]
    if op == "remove":
        return _removal(target, definition, value, where)
    if value is None or (op == "replace" and value == [] and definition["multiValued"] and not element):
        return [PatchOperation("remove", target)]  # RFC 7643 §2.5: null and [] mean unassigned
    stored = _stored(definition, value, element, where)
    return [] if stored is None else [PatchOperation(op, target, stored)]  # nothing the client may write


def _removal(target: PatchPath, definition: Definition, value: Any, where: str) -> list[PatchOperation]:
    """Entra removes group members with ``path: members`` and the members to remove as ``value``."""
    if value in (_MISSING, None) or target.filter is not None or target.attribute.sub is not None:
        return [PatchOperation("remove", target)]
    listed = stored_value({**definition, "multiValued": True}, value, where)
    return [PatchOperation("remove", target, listed)] if listed else []


def _stored(definition: Definition, value: Any, element: bool, where: str) -> Any:
    if element or not definition["multiValued"]:
        definition = {**definition, "multiValued": False}
        if isinstance(value, list) and len(value) == 1:
            value = value[0]  # Entra sends manager as [{"value": ...}]
    return stored_value(definition, value, where)


def _check_writable(target: PatchPath, schema: ResourceSchema, where: str) -> None:
    if _read_only(target, schema):
        raise ScimError(400, f"{where} is readOnly (RFC 7643 §2.2)", "mutability")


def _read_only(target: PatchPath, schema: ResourceSchema) -> bool:
    attribute = schema.attribute(target.attribute)
    return "readOnly" in (attribute["mutability"], schema.definition(target.attribute)["mutability"])


def _resolve(text: str, schema: ResourceSchema) -> AttributePath:
    """A path; an extension attribute may come without its URN when no other schema has the name:
    Entra sends ``{"op":"Add","path":"manager",...}`` for the enterprise extension's manager."""
    text = text.strip()
    path = schema.resolve(text)
    if path is None and not text.lower().startswith("urn:"):
        found = [path for urn in schema.extensions if (path := schema.resolve(f"{urn}:{text}"))]
        path = found[0] if len(found) == 1 else None
    if path is None:
        raise invalid_path(f"No attribute {text!r} in the {schema.name} schema")
    return path


def _member(mapping: Mapping[Any, Any], name: str, default: Any = None) -> Any:
    return next((v for k, v in mapping.items() if isinstance(k, str) and k.lower() == name.lower()), default)


def _syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")
