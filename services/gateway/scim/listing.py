"""Paging parameters and the ListResponse envelope (RFC 7644 §3.4.2.4, §3.4.2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contracts.base import MAX_START_INDEX
from shared.scim.errors import ScimError

LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
DEFAULT_COUNT = 100
MAX_RESULTS = 200  # advertised as filter.maxResults
_DIGITS = re.compile(r"\s*[+-]?[0-9]+\s*")


def paging(params: Mapping[str, str]) -> tuple[int, int]:
    """(startIndex, count): 1-based, startIndex < 1 means 1, negative count means 0, capped."""
    start_index = min(MAX_START_INDEX, max(1, _integer(params, "startIndex", 1)))
    count = min(MAX_RESULTS, max(0, _integer(params, "count", DEFAULT_COUNT)))
    return start_index, count


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.fullmatch(raw):  # int() alone also takes "1_000" and other scripts' digits
        raise ScimError(400, f"{name} must be an integer", "invalidValue")
    return int(raw)


def list_response(resources: list[dict[str, Any]], total: int, start_index: int) -> dict[str, Any]:
    """itemsPerPage is what this page really holds, not the count asked for."""
    return {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
