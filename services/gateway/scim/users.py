"""User resources: validate what a client sends, render what we return (RFC 7643 §4.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.users.v1 import UserRecord
from services.gateway.scim.errors import ScimError

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
# readOnly attributes (RFC 7643 §4.1, §3.1) a client may echo back; they are ignored, not stored.
READ_ONLY = {"id", "meta", "groups"}
# writeOnly, returned "never" (RFC 7643 §4.1.1): accepted and dropped, so it can never leak.
NEVER_STORED = {"password"}
_BOOLEAN_STRINGS = {"true": True, "false": False}


def parse_new_user(payload: Any) -> dict[str, Any]:
    """Validate a POST /Users body (RFC 7644 §3.3) into the attributes the user store keeps."""
    if not isinstance(payload, Mapping):
        raise ScimError(400, "The request body must be a JSON object", "invalidSyntax")
    _check_schemas(payload.get("schemas"))
    resource = {k: v for k, v in payload.items() if k not in READ_ONLY | NEVER_STORED and v is not None}
    user_name = resource.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise ScimError(400, "userName is required and must be a non-empty string", "invalidValue")
    resource["active"] = _boolean(resource.get("active", True), "active")
    resource["schemas"] = _schemas_of(resource)
    return resource


def _check_schemas(schemas: Any) -> None:
    if schemas is None:
        return  # lenient: several clients omit it on create
    if not isinstance(schemas, list) or USER_SCHEMA not in schemas:
        raise ScimError(400, f"schemas must include {USER_SCHEMA}", "invalidValue")


def _schemas_of(resource: Mapping[str, Any]) -> list[str]:
    """Core schema plus every extension the resource carries attributes for (RFC 7643 §3)."""
    extensions = sorted(k for k in resource if k.startswith("urn:") and isinstance(resource[k], Mapping))
    return [USER_SCHEMA, *extensions]


def _boolean(value: Any, name: str) -> bool:
    """Entra sends booleans as "True"/"False" strings; accept those, reject anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _BOOLEAN_STRINGS:
        return _BOOLEAN_STRINGS[value.lower()]
    raise ScimError(400, f"{name} must be a boolean", "invalidValue")


def render_user(record: UserRecord, base_url: str) -> dict[str, Any]:
    """The resource as returned to clients, with ``id`` and ``meta`` (RFC 7643 §3.1)."""
    location = f"{base_url}/Users/{record.id}"
    return {
        **record.resource,
        "id": record.id,
        "meta": {
            "resourceType": "User",
            "created": _timestamp(record.created),
            "lastModified": _timestamp(record.last_modified),
            "location": location,
            "version": etag(record.version),
        },
    }


def etag(version: int) -> str:
    return f'W/"{version}"'


def _timestamp(value) -> str:
    return value.isoformat().replace("+00:00", "Z")
