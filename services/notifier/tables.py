"""The notifier's tables: notices, each admin's in-app copy, and the email outbox. Their instants are
UTC_TIME: TIMESTAMP WITH TIME ZONE on PostgreSQL, the same DATETIME text as before on SQLite."""

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.store.portable_sql import UTC_TIME


class NotificationRow(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("tenant_id", "dedupe_key", name="uq_notifications_dedupe"),)

    id: str = Field(primary_key=True)
    tenant_id: str
    dedupe_key: str
    kind: str
    subject: str
    body: str
    created: datetime = Field(sa_type=UTC_TIME)


class InboxRow(SQLModel, table=True):
    """One admin's in-app copy of a notice."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_admin", "tenant_id", "admin_id", "read_at"),)

    notification_id: str = Field(primary_key=True)
    admin_id: str = Field(primary_key=True)
    tenant_id: str
    created: datetime = Field(sa_type=UTC_TIME)
    read_at: datetime | None = Field(default=None, sa_type=UTC_TIME)


class OutboxRow(SQLModel, table=True):
    """One email to send. A row is claimed (claimed_until) by one delivery loop at a time, so two
    notifier replicas never send it twice (delivery.py); a failed attempt sets next_attempt_at further out."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "sent_at", "next_attempt_at"),)

    id: str = Field(primary_key=True)
    notification_id: str
    tenant_id: str
    email: str
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTC_TIME)
    claimed_until: datetime | None = Field(default=None, sa_type=UTC_TIME)
    last_error: str | None = None
    sent_at: datetime | None = Field(default=None, sa_type=UTC_TIME)
