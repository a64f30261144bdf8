"""Our vendor extension (``urn:...:scimflow:2.0:User``) as the admin sees it: pure reads of a user, the
attributes the admin manages, and the PatchOp that changes them (RFC 7644 §3.5.2).

The vendor's Okta guide sends role and credits on Create only ("they can be updated in the Admin
Portal"): the admin owns them afterwards, so an IdP's PUT that leaves them out keeps the stored ones.
"""

from __future__ import annotations

from typing import Any

from shared.scim.attributes import USER
from shared.scim.resource import schemas_of
from shared.scim.schemas import EXTENSION_SCHEMA

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

#: What the admin sets in the portal and an IdP's PUT without them keeps. Products are not among them:
#: they take seats, and follow what the IdP says (seat rules).
ADMIN_MANAGED = ("role", "userCredit", "creditLimit", "resetUsage")


def extension_of(resource: dict[str, Any]) -> dict[str, Any]:
    return resource.get(EXTENSION_SCHEMA) or {}


def effective_role(resource: dict[str, Any]) -> str:
    """The role the product gives: a set member's ``effectiveRole``, else their own role, else "User"."""
    extension = extension_of(resource)
    return extension.get("effectiveRole") or extension.get("role") or "User"


def primary_email(resource: dict[str, Any]) -> str | None:
    """The primary email's value (RFC 7643 §2.4), else the first one's; None without any."""
    values = [email for email in resource.get("emails") or () if isinstance(email, dict) and email.get("value")]
    primary = next((email for email in values if email.get("primary") is True), values[0] if values else None)
    return None if primary is None else primary["value"]


def with_admin_managed(resource: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """A replacement (PUT, RFC 7644 §3.5.1) keeps the stored admin-managed attributes it leaves out."""
    sent = extension_of(resource)
    kept = {name: value for name, value in extension_of(stored).items() if name in ADMIN_MANAGED and name not in sent}
    if not kept:
        return resource
    merged = {**resource, EXTENSION_SCHEMA: {**kept, **sent}}
    merged["schemas"] = schemas_of(merged, USER)
    return merged


def extension_patch(changes: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp setting extension attributes by name; a None value removes the attribute."""
    operations = [{"op": "remove", "path": f"{EXTENSION_SCHEMA}:{name}"} if value is None
                  else {"op": "replace", "path": f"{EXTENSION_SCHEMA}:{name}", "value": value}
                  for name, value in changes.items()]
    return {"schemas": [PATCH_OP], "Operations": operations}
