"""SQL tables of the sync-status reporter: each user's latest status, and every outcome as history."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from shared.store.portable_sql import UTC_TIME


class UserStatusRow(SQLModel, table=True):
    """One row per user and tenant, by lower-cased userName: a create refused before the user existed
    has no id, and the admin looks users up by name."""

    __tablename__ = "user_statuses"
    __table_args__ = (
        Index("ix_user_statuses_user_id", "tenant_id", "user_id"),
        Index("ix_user_statuses_recent", "tenant_id", "last_attempt"),
        Index("ix_user_statuses_status", "tenant_id", "status", "last_attempt"),
        Index("ix_user_statuses_set", "tenant_id", "subscription_set", "last_attempt"),
    )

    tenant_id: str = Field(primary_key=True)
    user_name_key: str = Field(primary_key=True)
    user_name: str
    user_id: str | None = None
    status: str
    detail: str | None = None
    last_synced: datetime | None = Field(default=None, sa_type=UTC_TIME)
    last_attempt: datetime = Field(sa_type=UTC_TIME)
    scim_active: bool | None = None
    platform_active: bool | None = None
    products: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subscription_set: str | None = None
    email: str | None = None  # the admin finds users by it (?search=), as by userName
    role: str | None = None  # effective role
    #: The IdP's writes that found the user already as asked: counted here, not in the history (an IdP
    #: re-syncs every user every 40 minutes or so), and not a sync (``last_synced`` stays).
    unchanged_syncs: int = 0
    #: The last write that succeeded, changing something or not.
    last_checked: datetime | None = Field(default=None, sa_type=UTC_TIME)
    last_check_id: str | None = None  # the report last counted in unchanged_syncs: redelivered, it counts once


class HistoryRow(SQLModel, table=True):
    """One provisioning outcome; its message id makes a redelivered report count once."""

    __tablename__ = "provisioning_history"
    __table_args__ = (Index("ix_history_user", "tenant_id", "user_name_key", "at"),)

    message_id: str = Field(primary_key=True)
    tenant_id: str
    user_name_key: str  # "#<user id>" when the outcome named no user we know
    at: datetime = Field(index=True, sa_type=UTC_TIME)  # pruned by age
    action: str
    status: str
    detail: str | None = None
    asked: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ScimCallRow(SQLModel, table=True):
    """One SCIM call of a tenant's IdP, as the gateway logged it; its call id makes a redelivered batch
    count once. Per tenant only the newest are kept (services/sync_status/scim_log.py)."""

    __tablename__ = "scim_calls"
    __table_args__ = (Index("ix_scim_calls_recent", "tenant_id", "at"),)

    call_id: str = Field(primary_key=True)
    tenant_id: str
    at: datetime = Field(index=True, sa_type=UTC_TIME)  # pruned by age
    method: str
    path: str
    status: int
    detail: str | None = None
    duration_ms: int
