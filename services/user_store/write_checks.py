"""What a write of a user or a group checks before it stores anything: If-Match, that the row is as
read, that a unique name is still free, that a PATCH leaves a valid resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from contracts import ErrorCode
from shared.messaging.dispatch import CommandFailed
from shared.scim import etags
from shared.scim.attributes import ResourceSchema
from shared.scim.errors import ScimError
from shared.scim.patch import apply_patch
from shared.scim.patch_parse import parse_patch
from shared.scim.resource import parse_resource
from shared.store import found
from shared.store.errors import INTEGRITY_ERRORS


class Versioned(Protocol):
    id: str
    version: int


VersionedT = TypeVar("VersionedT", bound=Versioned)


@contextmanager
def unique_or(conflict: CommandFailed | None) -> Iterator[None]:
    """A unique name taken meanwhile (seen when the row is written: in plain SQL, or when the ORM
    flushes) is ``conflict`` (when given)."""
    try:
        yield
    except INTEGRITY_ERRORS:
        if conflict is None:
            raise
        raise conflict from None


def unchanged_since(row: VersionedT | None, kind: str, resource_id: str, version: int | None) -> VersionedT:
    """The row a saga step was computed from (at ``version``); changed since (another store process) is a retry."""
    row = found(row, kind, resource_id)
    if row.version != version:
        raise CommandFailed(ErrorCode.UNAVAILABLE, f"The {kind.lower()} changed meanwhile; retry", retryable=True)
    return row


def check_precondition(row: Versioned, if_match: str | None, kind: str) -> None:
    """If-Match (RFC 7644 §3.14): a write to a resource changed since the client read it is refused."""
    if if_match is not None and not etags.matches(if_match, row.version):
        raise CommandFailed(ErrorCode.PRECONDITION_FAILED,
                            f"{kind} {row.id} is at version {etags.etag(row.version)}, not {if_match}")


def patched(resource_id: str, resource: dict[str, Any], patch: dict[str, Any],
            schema: ResourceSchema) -> dict[str, Any]:
    """The resource after a PatchOp, validated like a PUT body; all operations or none (RFC 7644 §3.5.2).

    ``id`` goes in so that a path-less value repeating it is checked; the stored form drops it again.
    """
    try:
        result, _ = apply_patch({**resource, "id": resource_id}, parse_patch(patch, schema), schema)
        return parse_resource(result, schema)
    except ScimError as error:
        raise CommandFailed(_code_of(error), error.detail) from None


def _code_of(error: ScimError) -> ErrorCode:
    try:
        return ErrorCode(error.scim_type or ErrorCode.INVALID_VALUE)
    except ValueError:
        return ErrorCode.INVALID_VALUE
