"""SQL tables of the seat allocator. Datetimes are stored in UTC (UTC_TIME: SQLite gives them back naive).

Every service's models share SQLModel.metadata, so the names here must not clash with theirs
(the user store has ``processed_messages``; ours is ``seat_processed_messages``). The outbox of our
events, ``event_outbox``, is the one table both have, by design: shared/events/tables.py declares it.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.store.portable_sql import UTC_TIME


class ProductRow(SQLModel, table=True):
    """A product the tenant subscribes to: how many seats, until when."""

    __tablename__ = "products"

    tenant_id: str = Field(primary_key=True)
    name: str = Field(primary_key=True)
    seats: int
    expires_at: datetime = Field(sa_type=UTC_TIME)
    created: datetime = Field(sa_type=UTC_TIME)
    modified: datetime = Field(sa_type=UTC_TIME)
    #: Seats held: the number of SeatRows of this product, kept by the database itself (triggers on
    #: ``seats``, database.py) and recounted at every start; counting the rows per allocation grew
    #: with the tenant (bench/RESULTS.md).
    used: int = 0


class SeatRow(SQLModel, table=True):
    """User ``user_id`` holds one seat of ``product``: the key makes a second seat of it impossible.

    ``ProductRow.used`` is these rows' count, maintained by triggers in the same statement that adds
    or removes a row, so it cannot drift from them.
    """

    __tablename__ = "seats"
    #: A user's seats, read by every allocation: covering, so that SQLite prefers it to the primary key
    #: (which, also covering, it chose with the tenant alone: a scan of the tenant's seats per allocation).
    __table_args__ = (Index("ix_seats_tenant_user_product", "tenant_id", "user_id", "product"),)

    tenant_id: str = Field(primary_key=True)
    product: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    taken_at: datetime = Field(sa_type=UTC_TIME)


class SeatUserRow(SQLModel, table=True):
    """What the allocator knows of a user: their own products, their set, and their last failure."""

    __tablename__ = "seat_users"
    __table_args__ = (Index("ix_seat_users_set", "set_id"),)

    tenant_id: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    user_name: str | None = None
    active: bool = True  # False once released (deactivated): wants no seat until allocated again
    products: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    set_id: str | None = None  # a column, not a table: one set per user by construction
    failure: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    modified: datetime = Field(sa_type=UTC_TIME)


class SubscriptionSetRow(SQLModel, table=True):
    __tablename__ = "subscription_sets"
    __table_args__ = (UniqueConstraint("tenant_id", "name_key", name="uq_subscription_sets_tenant_name"),)

    id: str = Field(primary_key=True)
    tenant_id: str
    name: str  # matched exactly against the IdP group's name
    name_key: str  # lower-cased: "Sales Team" and "sales team" would confuse every admin
    description: str
    products: list[str] = Field(sa_column=Column(JSON, nullable=False))
    admin_role: bool
    created: datetime = Field(sa_type=UTC_TIME)
    modified: datetime = Field(sa_type=UTC_TIME)
    last_synced: datetime | None = Field(default=None, sa_type=UTC_TIME)


class ProcessedMessage(SQLModel, table=True):
    """The journal of commands already applied, with their answer: a result or a kept failure."""

    __tablename__ = "seat_processed_messages"

    message_id: str = Field(primary_key=True)
    outcome: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    processed_at: datetime = Field(index=True, sa_type=UTC_TIME)  # pruned by age (shared/store/pruning.py)
