"""Validate a resource a client sends for create or replace (RFC 7643 §2, RFC 7644 §3.3, §3.5.1).

The result is the stored form: canonical attribute names (filters and patches address them by
those), extension attributes under their schema URN, ``schemas`` recomputed, and nothing the client
may not set. Values are kept as sent (Entra: "transformations of data shouldn't happen"), except
that Entra's "True"/"False" strings become booleans.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from shared.scim.attributes import Definition, ResourceSchema, sub_definition
from shared.scim.errors import ScimError, invalid_value

#: Entra's booleans as strings ("True", "False"; any case), in values and in filters.
BOOLEAN_STRINGS = {"true": True, "false": False}
#: Core multi-valued attributes whose every element must carry a ``value``: an email without an address
#: is none (the RFC 7643 §8.7.1 listing leaves emails.value "required": false; §2.4 makes it the core).
VALUE_REQUIRED = ("emails",)


def parse_resource(payload: Any, schema: ResourceSchema) -> dict[str, Any]:
    """The stored form of a POST/PUT body, or ScimError 400 naming what is wrong."""
    if not isinstance(payload, Mapping):
        raise ScimError(400, "The request body must be a JSON object", "invalidSyntax")
    _check_schemas(payload.get("schemas"), schema)
    resource: dict[str, Any] = {}
    for key, value in payload.items():
        _place(resource, key, value, schema)
    _check_required(resource, schema)
    _check_values(resource)
    resource["schemas"] = schemas_of(resource, schema)
    return resource


def with_user_defaults(resource: dict[str, Any]) -> dict[str, Any]:
    """A user whose ``active`` the IdP leaves out (POST, PUT) or takes away (PATCH remove, null) is active:
    the stored user always says whether it is, as its seats and ``scimActive`` do."""
    resource.setdefault("active", True)
    return resource


def schemas_of(resource: Mapping[str, Any], schema: ResourceSchema) -> list[str]:
    """The core schema plus every extension the resource has attributes of (RFC 7643 §3)."""
    return [schema.core, *(urn for urn in schema.extensions if resource.get(urn))]


def boolean(value: Any, where: str) -> bool:
    """A JSON boolean, or Entra's "True"/"False" strings (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in BOOLEAN_STRINGS:
        return BOOLEAN_STRINGS[value.lower()]
    raise invalid_value(f"{where} must be a boolean")


def _check_schemas(schemas: Any, schema: ResourceSchema) -> None:
    if schemas is None:
        return  # lenient: several clients omit it
    if not isinstance(schemas, list) or schema.core.lower() not in {str(urn).lower() for urn in schemas}:
        raise invalid_value(f"schemas must include {schema.core}")


def _place(resource: dict[str, Any], key: str, value: Any, schema: ResourceSchema) -> None:
    """Put one top-level member where it belongs; unknown attributes are ignored (RFC 7644 §3.3)."""
    if key == "schemas":
        return
    urn = schema.schema_urn(key)
    if urn is not None:  # a whole schema's attributes nested under its URN
        if not isinstance(value, Mapping):
            raise invalid_value(f"{urn} must be an object of attributes")
        for name, member in value.items():
            _place(resource, f"{urn}:{name}", member, schema)
        return
    path = schema.resolve(key)
    if path is None:
        return
    container = resource if path.urn == schema.core else resource.setdefault(path.urn, {})
    attribute = schema.attribute(path)
    if path.sub is None:
        _set(container, attribute, stored_value(attribute, value, path.name))
    elif attribute["multiValued"]:
        raise invalid_value(f"{key}: set a multi-valued attribute as a list, not by sub-attribute")
    else:  # a dotted key, e.g. "name.givenName"
        sub = schema.definition(path)
        _set(container.setdefault(attribute["name"], {}), sub, stored_value(sub, value, str(path)))
    if path.urn != schema.core and not container:
        del resource[path.urn]


def _set(container: dict[str, Any], definition: Definition, value: Any) -> None:
    if value is None:
        container.pop(definition["name"], None)
    else:
        container[definition["name"]] = value


def stored_value(definition: Definition, value: Any, where: str) -> Any:
    """The stored value of one attribute, or None when it is unset or not the client's to set."""
    if value is None or not _client_writable(definition):
        return None
    if definition["multiValued"]:
        return _multi_value(definition, value, where)
    return _single_value(definition, value, where)


def _client_writable(definition: Definition) -> bool:
    # readOnly is ignored on create/replace (RFC 7643 §2.2); returned:never (password) is never stored.
    return bool(definition["mutability"] != "readOnly" and definition["returned"] != "never")


def _multi_value(definition: Definition, value: Any, where: str) -> list[Any] | None:
    items = value if isinstance(value, list) else [value]  # lenient: one value where a list belongs
    values = [v for v in (_single_value(definition, item, where) for item in items if item is not None) if v]
    if sum(1 for v in values if isinstance(v, Mapping) and v.get("primary") is True) > 1:
        raise invalid_value(f"{where}: primary may be true on one value only (RFC 7643 §2.4)")
    return values or None


def _single_value(definition: Definition, value: Any, where: str) -> Any:
    kind = definition["type"]
    if kind == "complex":
        return _complex(definition, value, where)
    if kind == "boolean":
        return boolean(value, where)
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        raise invalid_value(f"{where} must be an integer")
    if kind == "decimal" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise invalid_value(f"{where} must be a number")
    if kind in ("string", "reference", "binary", "dateTime") and not isinstance(value, str):
        raise invalid_value(f"{where} must be a string")
    if isinstance(value, str) and "\x00" in value:  # no name or address has one; C strings (mail, logs) end there
        raise invalid_value(f"{where} must not contain NUL characters")
    if kind == "dateTime":
        _check_date_time(value, where)
    return value


def _complex(definition: Definition, value: Any, where: str) -> dict[str, Any] | None:
    if isinstance(value, str) and not definition["multiValued"] and sub_definition(definition, "value"):
        value = {"value": value}  # Entra's default mapping sends the manager as its bare id
    if not isinstance(value, Mapping):
        raise invalid_value(f"{where} must be an object")
    result: dict[str, Any] = {}
    for name, member in value.items():
        sub = sub_definition(definition, name)
        if sub is not None:
            _set(result, sub, stored_value(sub, member, f"{where}.{sub['name']}"))
    return result or None


def _check_date_time(value: str, where: str) -> None:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))  # noqa: FURB162 - as before 3.11
    except ValueError:
        raise invalid_value(f"{where} must be an xsd:dateTime, e.g. 2024-05-13T04:42:34Z") from None


def _check_required(resource: Mapping[str, Any], schema: ResourceSchema) -> None:
    for attribute in schema.attributes(schema.core):
        if attribute["required"] and _client_writable(attribute) and _blank(resource.get(attribute["name"])):
            raise invalid_value(f"{attribute['name']} is required")


def _check_values(resource: Mapping[str, Any]) -> None:
    # Of the whole resource, not of each value list: a PATCH remove may name the emails to drop by type.
    for name in VALUE_REQUIRED:
        if any(_blank(element.get("value")) for element in resource.get(name) or ()):
            raise invalid_value(f"{name}: each one needs a value (RFC 7643 §2.4: the attribute's significant value)")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class StoredResource(Protocol):
    """A resource as a store keeps it: the client's attributes, and what the server adds around them.
    (Read-only members: a frozen record, such as the contracts' UserRecord, is one too.)"""

    @property
    def id(self) -> str: ...

    @property
    def resource(self) -> dict[str, Any]: ...

    @property
    def created(self) -> datetime: ...

    @property
    def last_modified(self) -> datetime: ...

    @property
    def version(self) -> int: ...


def is_active(resource: dict[str, Any]) -> bool:
    """RFC 7643 §4.1.1: a user without ``active`` is active."""
    return resource.get("active") is not False
