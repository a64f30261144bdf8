"""SQL tables of the user store.

The resources are jsonb on PostgreSQL: filters read paths of ``resource`` (filter_dialects.py) and an index
holds its e-mails (postgres_schema.py), which jsonb's parsed form serves and plain json would re-parse. The
journal's answers and the seat intents are only ever read whole: plain json, cheaper to write.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

#: A JSON document: SQLite's JSON text, PostgreSQL's jsonb (keys come back in jsonb's order, not as written).
JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")


class ResourceColumns(SQLModel):
    """What every stored SCIM resource has: the JSON resource and the columns filters and paging use."""

    id: str = Field(primary_key=True)
    tenant_id: str
    external_id: str | None = None
    resource: dict[str, Any] = Field(sa_type=JSON_DOCUMENT, nullable=False)
    created: datetime
    last_modified: datetime
    version: int = 1


class UserRow(ResourceColumns, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # RFC 7643 §4.1.1: userName is unique per service provider and not case-exact.
        UniqueConstraint("tenant_id", "user_name_key", name="uq_users_tenant_user_name"),
        Index("ix_users_tenant_external_id", "tenant_id", "external_id"),
        Index("ix_users_tenant_order", "tenant_id", "created", "id"),
    )

    user_name: str
    user_name_key: str  # lower-cased userName
    # The seat allocator's last answer about this user (seat_state.SeatState, seat_saga.py).
    platform_active: bool = False
    subscription_set: str | None = None
    set_role: str | None = None


class ProcessedMessage(SQLModel, table=True):
    """The journal of commands already applied: a redelivery gets the first answer back."""

    __tablename__ = "processed_messages"

    message_id: str = Field(primary_key=True)
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    processed_at: datetime = Field(index=True)  # pruned by age (shared/store/pruning.py)


class GroupRow(ResourceColumns, table=True):
    """A group without its members: they are rows of ``memberships``, changed by set operations."""

    __tablename__ = "groups"
    __table_args__ = (
        # Entra requires displayName to be unique; compared case-insensitively like userName.
        UniqueConstraint("tenant_id", "display_name_key", name="uq_groups_tenant_display_name"),
        Index("ix_groups_tenant_external_id", "tenant_id", "external_id"),
        Index("ix_groups_tenant_order", "tenant_id", "created", "id"),
    )

    display_name: str
    display_name_key: str  # lower-cased displayName


class MembershipRow(SQLModel, table=True):
    """User ``member_id`` is a direct member of group ``group_id`` (both of one tenant)."""

    __tablename__ = "memberships"
    __table_args__ = (Index("ix_memberships_member", "member_id", "group_id"),)

    group_id: str = Field(primary_key=True)
    member_id: str = Field(primary_key=True)


class SeatIntentRow(SQLModel, table=True):
    """A write waiting on the seat allocator: the command and its seat commands, until its outcome is written.

    Kept so that the write can be finished by whoever comes next: the command's redelivery, or the
    sweeper when nobody redelivers it (services/user_store/seat_saga.py).
    """

    __tablename__ = "seat_intents"
    __table_args__ = (Index("ix_seat_intents_user", "tenant_id", "user_id"),
                      Index("ix_seat_intents_new_user", "tenant_id", "user_name_key"))

    message_id: str = Field(primary_key=True)
    tenant_id: str
    user_id: str  # the resource written: a user's id, or a group's
    user_name_key: str | None = None  # a create's lower-cased name: its retries adopt the same id
    message_type: str
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    steps: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))  # [{type, body}]
    created: datetime = Field(index=True)
