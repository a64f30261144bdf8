"""Service discovery (RFC 7644 §4): ServiceProviderConfig and ResourceTypes, truthful about today.

Each ``supported`` flag must describe what this server does now, not what is planned: clients such
as Entra's validator choose their requests from it, so a flag set early turns into failed calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.gateway.scim.bulk import MAX_OPERATIONS, MAX_PAYLOAD_SIZE
from services.gateway.scim.listing import MAX_RESULTS
from shared.scim.errors import ScimError
from shared.scim.schemas import (
    ENTERPRISE_SCHEMA,
    EXTENSION_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
)

SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"

_RESOURCE_TYPES: tuple[dict[str, Any], ...] = (
    {"id": "User", "name": "User", "endpoint": "/Users", "description": "User Account", "schema": USER_SCHEMA,
     "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False},
                          {"schema": EXTENSION_SCHEMA, "required": False}]},
    {"id": "Group", "name": "Group", "endpoint": "/Groups", "description": "Group", "schema": GROUP_SCHEMA,
     "schemaExtensions": []},
)


def service_provider_config(base_url: str) -> dict[str, Any]:
    """What the server supports (RFC 7643 §5)."""
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": True, "maxOperations": MAX_OPERATIONS, "maxPayloadSize": MAX_PAYLOAD_SIZE},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},  # meta.version, ETag, If-Match -> 412, If-None-Match -> 304
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "The tenant's API token, sent as an OAuth 2.0 bearer token (RFC 6750)",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": True,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }


def resource_types(base_url: str) -> list[dict[str, Any]]:
    """Every ResourceType (RFC 7643 §6); User first, as Microsoft's Postman collection expects."""
    return [_resource(resource_type, base_url) for resource_type in _RESOURCE_TYPES]


def resource_type(name: str, base_url: str) -> dict[str, Any] | None:
    """One ResourceType by name (case-insensitive, like the rest of SCIM naming), or None."""
    found = [candidate for candidate in _RESOURCE_TYPES if candidate["name"].lower() == name.lower()]
    return _resource(found[0], base_url) if found else None


def reject_filter(query: Mapping[str, str]) -> None:
    """RFC 7644 §4: a filter on a discovery endpoint SHOULD get 403; paging and sorting are just ignored."""
    if any(name.lower() == "filter" for name in query):
        raise ScimError(403, "Discovery endpoints do not accept a filter (RFC 7644 §4)")


def _resource(resource_type: dict[str, Any], base_url: str) -> dict[str, Any]:
    meta = {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{resource_type['id']}"}
    extensions = [dict(extension) for extension in resource_type["schemaExtensions"]]  # callers get their own
    return {"schemas": [RESOURCE_TYPE_SCHEMA], **resource_type, "schemaExtensions": extensions, "meta": meta}
