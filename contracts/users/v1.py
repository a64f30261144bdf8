"""User commands and results, version 1.

The user's SCIM attributes travel as ``resource``: the gateway has already validated them against
the SCIM schema (pure core), and removed what the client may not set (``id``, ``meta``, ``password``).
The tenant is the envelope's ``tenant_id`` header, never a body field, so it cannot be forged by a
body that happens to carry one.
"""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contracts.base import Command, Query, Result
from contracts.resources import DeleteResource, PatchResource, QueryResources, ResourceDeleted, StoredResource
from contracts.seats.v1 import SeatAllocation


def _require_user_name(resource: dict[str, Any]) -> dict[str, Any]:
    user_name = resource.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise ValueError("resource.userName must be a non-empty string")
    return resource


#: A whole User resource as the gateway validated it: canonical attribute names, no id/meta/password.
UserResource = Annotated[dict[str, Any], AfterValidator(_require_user_name)]


class CreateUser(Command):
    TYPE = "users.create_user.v1"

    resource: UserResource


class GetUser(Query):
    TYPE = "users.get_user.v1"

    id: str


class ReplaceUser(Command):
    """PUT (RFC 7644 §3.5.1): ``resource`` is the validated new state; ``if_match`` an ETag or "*"."""

    TYPE = "users.replace_user.v1"

    id: str
    resource: UserResource
    if_match: str | None = None
    #: The tenant ignores email changes pushed by the IdP (a tenant policy): the stored emails stay.
    keep_emails: bool = False


class PatchUser(PatchResource):
    TYPE = "users.patch_user.v1"

    keep_emails: bool = False  # as in ReplaceUser
    #: A tenant admin asked (the admin API), not the IdP: the same write, which the sync status's history
    #: shows as the admin's.
    by_admin: bool = False


class DeleteUser(DeleteResource):
    TYPE = "users.delete_user.v1"


class UserDeleted(ResourceDeleted):
    TYPE = "users.user_deleted.v1"


class AttributeEquals(BaseModel):
    """One ``attribute eq "value"`` test, ANDed: the foundation's criteria, superseded by ``filter``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attribute: Literal["id", "userName", "externalId"]
    value: str


class QueryUsers(QueryResources):
    TYPE = "users.query_users.v1"

    criteria: list[AttributeEquals] = Field(default_factory=list)  # ANDed with ``filter``


class UserRecord(StoredResource):
    TYPE = "users.user_record.v1"


class UserPage(Result):
    TYPE = "users.user_page.v1"

    total_results: int
    start_index: int
    resources: list[UserRecord]


class RecordSeatStates(Command):
    """The seat allocator moved these users' seats on an admin's change (a subscription set edited or
    deleted, seats added for members waiting): the store shows their new seat state. Cast by the gateway."""

    TYPE = "users.record_seat_states.v1"

    allocations: list[SeatAllocation]


class SeatStatesRecorded(Result):
    TYPE = "users.seat_states_recorded.v1"

    recorded: int
