"""Which provisioning events a committed change emits, and their ``data`` (contracts/events/v1.py). Pure:
the handlers call these with what they stored, and write the result to the outbox (shared/events/outbox.py).

Only a change emits: a write that finds the resource already as asked stores nothing and emits
nothing, and a refused or rolled-back one never reaches its commit.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from contracts.events.v1 import (
    MEMBERS_ADDED,
    MEMBERS_REMOVED,
    USER_CREATED,
    USER_DEACTIVATED,
    USER_DELETED,
    USER_REACTIVATED,
    USER_UPDATED,
)
from shared.events.emitted import Emitted, rfc3339
from shared.scim.etags import etag
from shared.scim.resource import StoredResource, is_active


def user_event_type(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """A user's change by its stored states (None: not stored): active true -> false is a deactivation,
    false -> true a reactivation, any other change an update."""
    if before is None:
        return USER_CREATED
    if after is None:
        return USER_DELETED
    if is_active(before) != is_active(after):
        return USER_REACTIVATED if is_active(after) else USER_DEACTIVATED
    return USER_UPDATED


def membership_events(group_id: str, joined: Collection[str], left: Collection[str]) -> list[Emitted]:
    """Who left and who joined a group in one change, as one event each (none for an empty side)."""
    return [(kind, group_id, {"group_id": group_id, "members": sorted(members)})
            for kind, members in ((MEMBERS_REMOVED, left), (MEMBERS_ADDED, joined)) if members]


def user_data(record: StoredResource) -> dict[str, Any]:
    """The User as the IdP reads it, without ``groups`` (membership travels in group events)."""
    return rendered(record, "User", "groups")


def group_data(record: StoredResource) -> dict[str, Any]:
    """The Group as the IdP reads it, without ``members`` (they travel in members_added/removed)."""
    return rendered(record, "Group", "members")


def rendered(record: StoredResource, resource_type: str, left_out: str) -> dict[str, Any]:
    """``id`` and ``meta`` added as the gateway adds them (RFC 7643 §3.1), but for ``meta.location`` and
    ``$ref`` URIs, which need the gateway's public URL (services/gateway/scim/resources.render)."""
    resource = {name: value for name, value in record.resource.items() if name != left_out}
    return {**resource, "id": record.id,
            "meta": {"resourceType": resource_type, "created": rfc3339(record.created),
                     "lastModified": rfc3339(record.last_modified), "version": etag(record.version)}}
