"""User commands and results, version 1.

The user's SCIM attributes travel as ``resource``: the gateway has already validated them against
the SCIM schema (pure core), and removed what the client may not set (``id``, ``meta``, ``password``).
The tenant is the envelope's ``tenant_id`` header, never a body field, so it cannot be forged by a
body that happens to carry one.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.base import Command, Query, Result


class CreateUser(Command):
    TYPE = "users.create_user.v1"

    resource: dict[str, Any]

    @field_validator("resource")
    @classmethod
    def _has_user_name(cls, resource: dict[str, Any]) -> dict[str, Any]:
        user_name = resource.get("userName")
        if not isinstance(user_name, str) or not user_name.strip():
            raise ValueError("resource.userName must be a non-empty string")
        return resource


class GetUser(Query):
    TYPE = "users.get_user.v1"

    id: str


class AttributeEquals(BaseModel):
    """One ``attribute eq "value"`` test; a query ANDs them (the full filter AST is a later version)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attribute: Literal["id", "userName", "externalId"]
    value: str


class QueryUsers(Query):
    TYPE = "users.query_users.v1"

    criteria: list[AttributeEquals] = Field(default_factory=list)
    start_index: int = Field(default=1, ge=1)
    count: int = Field(default=100, ge=0)


class UserRecord(Result):
    TYPE = "users.user_record.v1"

    id: str
    resource: dict[str, Any]
    created: datetime
    last_modified: datetime
    version: int


class UserPage(Result):
    TYPE = "users.user_page.v1"

    total_results: int
    start_index: int
    resources: list[UserRecord]
