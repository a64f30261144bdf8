"""The seat allocator's schema as of release 2026-12 (main d4a8f99), the first of its migrations: written out here,
so that what it makes never follows later changes to the models (those are migrations of their own).

A database made by an earlier release, before migrations, is brought here by adding what it lacks
(shared/store/adoption.py) and stamped with this revision.
"""

import sqlalchemy as sa

from shared.store.migrations import create_baseline

revision = "0001"
down_revision = None

TABLES = sa.MetaData()

sa.Table(
    "products", TABLES,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("seats", sa.Integer(), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used", sa.Integer(), nullable=False, default=0),
)
sa.Table(
    "seats", TABLES,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("product", sa.String(), primary_key=True),
    sa.Column("user_id", sa.String(), primary_key=True),
    sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_seats_tenant_user_product", "tenant_id", "user_id", "product"),
)
sa.Table(
    "seat_users", TABLES,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("user_id", sa.String(), primary_key=True),
    sa.Column("user_name", sa.String()),
    sa.Column("active", sa.Boolean(), nullable=False, default=True),
    sa.Column("products", sa.JSON(), nullable=False),
    sa.Column("set_id", sa.String()),
    sa.Column("failure", sa.JSON()),
    sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_seat_users_set", "set_id"),
)
sa.Table(
    "subscription_sets", TABLES,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("name_key", sa.String(), nullable=False),
    sa.Column("description", sa.String(), nullable=False),
    sa.Column("products", sa.JSON(), nullable=False),
    sa.Column("admin_role", sa.Boolean(), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("modified", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_synced", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("tenant_id", "name_key", name="uq_subscription_sets_tenant_name"),
)
sa.Table(
    "seat_processed_messages", TABLES,
    sa.Column("message_id", sa.String(), primary_key=True),
    sa.Column("outcome", sa.JSON(), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_seat_processed_messages_processed_at", "processed_at"),
)
sa.Table(
    "event_outbox", TABLES,
    sa.Column("seq", sa.Integer(), primary_key=True),
    sa.Column("key", sa.String(), nullable=False),
    sa.Column("writer", sa.String(), nullable=False),
    sa.Column("created_ms", sa.BigInteger(), nullable=False),
    sa.Column("body", sa.LargeBinary(), nullable=False),
    sa.Index("ix_event_outbox_key", "key", "seq"),
    sqlite_autoincrement=True,
)


def upgrade() -> None:
    create_baseline(TABLES)
