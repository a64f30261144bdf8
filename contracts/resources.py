"""Fields every SCIM resource's messages share, whichever service owns the resource (users, groups).

Concrete messages subclass these and add their ``TYPE`` (and any fields of their own), so a wire
type stays explicit per resource while the shapes are written once.
"""

from datetime import datetime
from typing import Any

from pydantic import Field

from contracts.base import MAX_START_INDEX, Command, Query, Result
from contracts.filters import AttributePath, Filter


class PatchResource(Command):
    """PATCH (RFC 7644 §3.5.2): the PatchOp body as the gateway validated it; the store applies it."""

    id: str
    patch: dict[str, Any]
    if_match: str | None = None  # an ETag list or "*" (RFC 7644 §3.14)


class DeleteResource(Command):
    id: str
    if_match: str | None = None


class ResourceDeleted(Result):
    id: str


class QueryResources(Query):
    """One page of a tenant's resources (RFC 7644 §3.4.2): filter parsed by the gateway, 1-based."""

    start_index: int = Field(default=1, ge=1, le=MAX_START_INDEX)
    count: int = Field(default=100, ge=0)
    filter: Filter | None = None
    sort_by: AttributePath | None = None
    descending: bool = False


class StoredResource(Result):
    """A resource as its owner keeps it; the gateway adds ``id``, ``meta`` and ``$ref`` URIs."""

    id: str
    resource: dict[str, Any]
    created: datetime
    last_modified: datetime
    version: int
