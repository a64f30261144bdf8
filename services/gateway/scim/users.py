"""User resources: what a client sends becomes what the user store keeps (RFC 7643 §4.1)."""

from __future__ import annotations

from typing import Any

from shared.scim.attributes import USER
from shared.scim.resource import parse_resource, with_user_defaults


def parse_user(payload: Any) -> dict[str, Any]:
    """A POST or PUT /Users body (RFC 7644 §3.3, §3.5.1) as the user store keeps it."""
    return with_user_defaults(parse_resource(payload, USER))
