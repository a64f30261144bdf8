"""Rendering a stored resource for clients: ``id`` and ``meta`` added (RFC 7643 §3.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.scim.attributes import ResourceSchema
from shared.scim.etags import etag
from shared.scim.resource import StoredResource


def location(schema: ResourceSchema, resource_id: str, base_url: str) -> str:
    return f"{base_url}/{schema.name}s/{resource_id}"  # /Users, /Groups (RFC 7644 §3.2)


# Multi-valued references the store returns by id; the URI needs this gateway's public base URL.
_REFERENCES = {"members": "Users", "groups": "Groups"}


def render(record: StoredResource, schema: ResourceSchema, base_url: str) -> dict[str, Any]:
    return {
        **record.resource,
        **_references(record.resource, base_url),
        "id": record.id,
        "meta": {
            "resourceType": schema.name,
            "created": _timestamp(record.created),
            "lastModified": _timestamp(record.last_modified),
            "location": location(schema, record.id, base_url),
            "version": etag(record.version),
        },
    }


def _references(resource: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {name: [{**item, "$ref": f"{base_url}/{endpoint}/{item['value']}"} for item in resource[name]]
            for name, endpoint in _REFERENCES.items() if resource.get(name)}


def _timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
