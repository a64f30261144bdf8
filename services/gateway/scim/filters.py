"""SCIM filters (RFC 7644 §3.4.2.2), the subset the foundation supports: ``attr eq "v"`` [and ...].

This is what Okta and Entra send to look a user up before creating it. The full grammar replaces
this module; whatever it parses must still become structured criteria, never a raw string.
"""

from __future__ import annotations

import json
import re

from contracts.users.v1 import AttributeEquals
from services.gateway.scim.errors import ScimError

# Attribute names are case-insensitive (RFC 7643 §2.1): map any spelling to the canonical one.
FILTERABLE = {"id": "id", "username": "userName", "externalid": "externalId"}
_COMPARISON = re.compile(r'\s*([A-Za-z][\w.]*)\s+(eq)\s+("(?:[^"\\]|\\.)*")\s*', re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def parse_filter(text: str) -> list[AttributeEquals]:
    """Parse ``filter`` into equality criteria ANDed together, or raise 400 invalidFilter."""
    return [_comparison(part) for part in _split_and(text)]


def _split_and(text: str) -> list[str]:
    # Split on " and " outside quoted strings only.
    parts, start = [], 0
    for match in _AND.finditer(text):
        if text[: match.start()].count('"') % 2 == 0:
            parts.append(text[start : match.start()])
            start = match.end()
    return [*parts, text[start:]]


def _comparison(text: str) -> AttributeEquals:
    match = _COMPARISON.fullmatch(text)
    if match is None:
        raise ScimError(400, f"Unsupported or malformed filter: {text.strip()!r}", "invalidFilter")
    attribute, _, quoted = match.groups()
    canonical = FILTERABLE.get(attribute.lower())
    if canonical is None:
        raise ScimError(400, f"Filtering on {attribute!r} is not supported", "invalidFilter")
    return AttributeEquals(attribute=canonical, value=json.loads(quoted))
