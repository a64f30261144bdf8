"""SQL tables of the user store."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class UserRow(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # RFC 7643 §4.1.1: userName is unique per service provider and not case-exact.
        UniqueConstraint("tenant_id", "user_name_key", name="uq_users_tenant_user_name"),
        Index("ix_users_tenant_external_id", "tenant_id", "external_id"),
        Index("ix_users_tenant_order", "tenant_id", "created", "id"),
    )

    id: str = Field(primary_key=True)
    tenant_id: str
    user_name: str
    user_name_key: str  # lower-cased userName
    external_id: str | None = None
    resource: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created: datetime
    last_modified: datetime
    version: int = 1


class ProcessedMessage(SQLModel, table=True):
    """The journal of commands already applied: a redelivery gets the first answer back."""

    __tablename__ = "processed_messages"

    message_id: str = Field(primary_key=True)
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    processed_at: datetime
