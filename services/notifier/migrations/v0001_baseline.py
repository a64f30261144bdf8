"""The notifier's schema as of release 2026-12 (main d4a8f99), the first of its migrations: written out here,
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
    "notifications", TABLES,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("dedupe_key", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("subject", sa.String(), nullable=False),
    sa.Column("body", sa.String(), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("tenant_id", "dedupe_key", name="uq_notifications_dedupe"),
)
sa.Table(
    "inbox", TABLES,
    sa.Column("notification_id", sa.String(), primary_key=True),
    sa.Column("admin_id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True)),
    sa.Index("ix_inbox_admin", "tenant_id", "admin_id", "read_at"),
)
sa.Table(
    "outbox", TABLES,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("notification_id", sa.String(), nullable=False),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("email", sa.String(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_until", sa.DateTime(timezone=True)),
    sa.Column("last_error", sa.String()),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Index("ix_outbox_due", "sent_at", "next_attempt_at"),
)


def upgrade() -> None:
    create_baseline(TABLES)
