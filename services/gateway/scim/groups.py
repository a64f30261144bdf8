"""Group resources: what a client sends becomes what the user store keeps (RFC 7643 §4.2)."""

from __future__ import annotations

from typing import Any

from shared.scim.attributes import GROUP
from shared.scim.errors import invalid_value
from shared.scim.resource import parse_resource


def parse_group(payload: Any) -> dict[str, Any]:
    """A POST or PUT /Groups body; members are users named by ``value`` (Entra sends ``$ref: null``)."""
    resource = parse_resource(payload, GROUP)
    members = resource.get("members", [])
    if any(not isinstance(member.get("value"), str) or not member["value"] for member in members):
        raise invalid_value("every member needs a value: the id of a User")
    if members:
        resource["members"] = [{"value": member["value"]} for member in members]
    return resource
