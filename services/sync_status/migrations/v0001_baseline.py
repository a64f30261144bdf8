"""The sync-status reporter's schema as of release 2026-12 (main d4a8f99), the first of its migrations: written out here,
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
    "user_statuses", TABLES,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("user_name_key", sa.String(), primary_key=True),
    sa.Column("user_name", sa.String(), nullable=False),
    sa.Column("user_id", sa.String()),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("detail", sa.String()),
    sa.Column("last_synced", sa.DateTime(timezone=True)),
    sa.Column("last_attempt", sa.DateTime(timezone=True), nullable=False),
    sa.Column("scim_active", sa.Boolean()),
    sa.Column("platform_active", sa.Boolean()),
    sa.Column("products", sa.JSON(), nullable=False),
    sa.Column("subscription_set", sa.String()),
    sa.Column("email", sa.String()),
    sa.Column("role", sa.String()),
    sa.Column("unchanged_syncs", sa.Integer(), nullable=False, default=0),
    sa.Column("last_checked", sa.DateTime(timezone=True)),
    sa.Column("last_check_id", sa.String()),
    sa.Index("ix_user_statuses_recent", "tenant_id", "last_attempt"),
    sa.Index("ix_user_statuses_set", "tenant_id", "subscription_set", "last_attempt"),
    sa.Index("ix_user_statuses_status", "tenant_id", "status", "last_attempt"),
    sa.Index("ix_user_statuses_user_id", "tenant_id", "user_id"),
)
sa.Table(
    "provisioning_history", TABLES,
    sa.Column("message_id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("user_name_key", sa.String(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("detail", sa.String()),
    sa.Column("asked", sa.JSON(), nullable=False),
    sa.Index("ix_history_user", "tenant_id", "user_name_key", "at"),
    sa.Index("ix_provisioning_history_at", "at"),
)
sa.Table(
    "scim_calls", TABLES,
    sa.Column("call_id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("method", sa.String(), nullable=False),
    sa.Column("path", sa.String(), nullable=False),
    sa.Column("status", sa.Integer(), nullable=False),
    sa.Column("detail", sa.String()),
    sa.Column("duration_ms", sa.Integer(), nullable=False),
    sa.Index("ix_scim_calls_at", "at"),
    sa.Index("ix_scim_calls_recent", "tenant_id", "at"),
)


def upgrade() -> None:
    create_baseline(TABLES)
