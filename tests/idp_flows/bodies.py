"""Request bodies as Okta and Entra send them, and the URNs they use (literal: a typo here or in the
server must not cancel out, so nothing is imported from the implementation)."""

from __future__ import annotations

import uuid
from typing import Any

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#: Our vendor extension (PRODUCT.md): role, userCredit, creditLimit, resetUsage, products.
SCIMFLOW = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"
ENTRA_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"

#: Okta's SCIM client headers (Okta SCIM 2.0 SPEC test, SCIM-NOTES §1.2, §2).
OKTA_HEADERS = {"Content-Type": "application/json; charset=utf-8",
                "Accept": "application/scim+json; charset=utf-8", "User-Agent": "Okta SCIM Client 1.0.0"}
#: The flag Entra appends to the Tenant URL to opt into RFC-shaped PATCH (SCIM-NOTES §3).
ENTRA_FLAG = "aadOptscim062020"


def unique(prefix: str = "u") -> str:
    """A name no other test or flow run uses (flows may share one real system)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def scimflow_extension(role: str = "User", products: tuple[str, ...] = ("Sales",)) -> dict[str, Any]:
    return {"role": role, "userCredit": "Limited", "creditLimit": 1000, "resetUsage": "Monthly",
            "products": list(products)}


def okta_user(user_name: str, *, given: str = "Jane", family: str = "Doe", **overrides: Any) -> dict[str, Any]:
    """Okta's POST /Users body [okta-scim20]: externalId, locale, ``groups: []``, password, work email."""
    return {
        "schemas": [USER, SCIMFLOW],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": f"{given} {family}",
        "locale": "en-US",
        "externalId": f"00u{uuid.uuid4().hex[:17]}",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
        SCIMFLOW: scimflow_extension(),
        **overrides,
    }


def entra_user(user_name: str, *, with_nulls: bool = False) -> dict[str, Any]:
    """Entra's POST /Users body [entra-tutorial]; its second example sends unset attributes as null."""
    body: dict[str, Any] = {
        "schemas": [USER, ENTERPRISE],
        "externalId": user_name.split("@")[0],
        "userName": user_name,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Jo Young", "familyName": "Young", "givenName": "Jo"},
        "roles": [],
    }
    if with_nulls:
        body |= {"addresses": None, "phoneNumbers": None, "title": None,
                 ENTERPRISE: {"employeeNumber": None, "manager": None}}
    return body


def replacement(resource: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A PUT body the way Okta builds one: the resource as read, minus ``meta``, with ``changes``
    applied (a None change leaves the attribute out, i.e. clears it)."""
    body = {key: value for key, value in resource.items() if key != "meta"} | changes
    return {key: value for key, value in body.items() if value is not None}


def group(display_name: str, members: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    """Okta Group Push body: ``{"schemas":[Group],"displayName":…,"members":[]}``."""
    return {"schemas": [GROUP], "displayName": display_name, "members": [{"value": m} for m in members],
            **extra}


def entra_group(display_name: str) -> dict[str, Any]:
    """Entra creates groups with its own extra schema, an externalId, meta, and no members."""
    return {"schemas": [GROUP, ENTRA_GROUP], "externalId": str(uuid.uuid4()), "displayName": display_name,
            "meta": {"resourceType": "Group"}}


_ABSENT: Any = object()


def op(name: str, path: str | None = None, value: Any = _ABSENT) -> dict[str, Any]:
    """One PATCH operation (RFC 7644 §3.5.2); ``path`` and ``value`` left out when not given."""
    operation: dict[str, Any] = {"op": name}
    if path is not None:
        operation["path"] = path
    if value is not _ABSENT:
        operation["value"] = value
    return operation


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def members(*user_ids: str, **extra: Any) -> list[dict[str, Any]]:
    """Member values; Entra adds ``"$ref": None``, Okta adds ``display``."""
    return [{"value": user_id, **extra} for user_id in user_ids]


def search(**fields: Any) -> dict[str, Any]:
    """A SearchRequest (RFC 7644 §3.4.3)."""
    return {"schemas": [SEARCH_REQUEST], **fields}


def eq(attribute: str, value: str) -> str:
    """``attribute eq "value"`` with the value JSON-quoted, as every IdP sends it."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{attribute} eq "{escaped}"'
