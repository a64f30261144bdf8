"""The user store's schema as of release 2026-12 (main d4a8f99), the first of its migrations: written out here,
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
    "users", TABLES,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("external_id", sa.String()),
    sa.Column("resource", sa.JSON(), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False, default=1),
    sa.Column("user_name", sa.String(), nullable=False),
    sa.Column("user_name_key", sa.String(), nullable=False),
    sa.Column("platform_active", sa.Boolean(), nullable=False, default=False),
    sa.Column("subscription_set", sa.String()),
    sa.Column("set_role", sa.String()),
    sa.UniqueConstraint("tenant_id", "user_name_key", name="uq_users_tenant_user_name"),
    sa.Index("ix_users_tenant_external_id", "tenant_id", "external_id"),
    sa.Index("ix_users_tenant_order", "tenant_id", "created", "id"),
)
sa.Table(
    "groups", TABLES,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("external_id", sa.String()),
    sa.Column("resource", sa.JSON(), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False, default=1),
    sa.Column("display_name", sa.String(), nullable=False),
    sa.Column("display_name_key", sa.String(), nullable=False),
    sa.UniqueConstraint("tenant_id", "display_name_key", name="uq_groups_tenant_display_name"),
    sa.Index("ix_groups_tenant_external_id", "tenant_id", "external_id"),
    sa.Index("ix_groups_tenant_order", "tenant_id", "created", "id"),
)
sa.Table(
    "memberships", TABLES,
    sa.Column("group_id", sa.String(), primary_key=True),
    sa.Column("member_id", sa.String(), primary_key=True),
    sa.Index("ix_memberships_member", "member_id", "group_id"),
)
sa.Table(
    "processed_messages", TABLES,
    sa.Column("message_id", sa.String(), primary_key=True),
    sa.Column("result", sa.JSON(), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_processed_messages_processed_at", "processed_at"),
)
sa.Table(
    "seat_intents", TABLES,
    sa.Column("message_id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("user_id", sa.String(), nullable=False),
    sa.Column("user_name_key", sa.String()),
    sa.Column("message_type", sa.String(), nullable=False),
    sa.Column("body", sa.JSON(), nullable=False),
    sa.Column("steps", sa.JSON()),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_seat_intents_created", "created"),
    sa.Index("ix_seat_intents_new_user", "tenant_id", "user_name_key"),
    sa.Index("ix_seat_intents_user", "tenant_id", "user_id"),
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
