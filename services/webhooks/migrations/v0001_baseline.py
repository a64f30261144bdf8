"""The webhooks service's schema as of release 2026-12 (main d4a8f99), the first of its migrations: written out here,
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
    "events", TABLES,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("id", sa.String(), nullable=False),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("type", sa.String(), nullable=False),
    sa.Column("subject", sa.String(), nullable=False),
    sa.Column("time_ms", sa.BigInteger(), nullable=False),
    sa.Column("received_ms", sa.BigInteger(), nullable=False),
    sa.Column("body", sa.LargeBinary(), nullable=False),
    sa.UniqueConstraint("id"),
    sa.Index("ix_events_tenant", "tenant_id", "seq"),
)
sa.Table(
    "endpoints", TABLES,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("tenant_id", sa.String(), nullable=False),
    sa.Column("url", sa.String(), nullable=False),
    sa.Column("description", sa.String(), nullable=False, default=''),
    sa.Column("event_types", sa.JSON(), nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False, default=True),
    sa.Column("disabled_reason", sa.String()),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("failing_since", sa.DateTime(timezone=True)),
    sa.Column("secret", sa.String(), nullable=False),
    sa.Index("ix_endpoints_tenant", "tenant_id"),
)
sa.Table(
    "deliveries", TABLES,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("endpoint_id", sa.String(), nullable=False),
    sa.Column("event_seq", sa.BigInteger(), nullable=False),
    sa.Column("key", sa.String(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("next_attempt_ms", sa.BigInteger(), nullable=False),
    sa.Column("claimed_until_ms", sa.BigInteger()),
    sa.UniqueConstraint("endpoint_id", "event_seq", name="uq_deliveries_event"),
    sa.Index("ix_deliveries_due", "next_attempt_ms"),
    sa.Index("ix_deliveries_subject", "endpoint_id", "key", "event_seq"),
)
sa.Table(
    "attempts", TABLES,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("endpoint_id", sa.String(), nullable=False),
    sa.Column("event_id", sa.String(), nullable=False),
    sa.Column("event_type", sa.String(), nullable=False),
    sa.Column("attempt", sa.Integer(), nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status_code", sa.Integer()),
    sa.Column("latency_ms", sa.Integer(), nullable=False),
    sa.Column("succeeded", sa.Boolean(), nullable=False),
    sa.Column("error", sa.String()),
    sa.Index("ix_attempts_endpoint", "endpoint_id", "id"),
    sa.Index("ix_attempts_time", "time"),
)
sa.Table(
    "tenant_marks", TABLES,
    sa.Column("tenant_id", sa.String(), primary_key=True),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("token_id", sa.String()),
    sa.Column("token_expires_at", sa.DateTime(timezone=True)),
    sa.Column("connection", sa.JSON(), nullable=False),
    sa.Column("reminded", sa.String()),
)
sa.Table(
    "webhooks_processed_messages", TABLES,
    sa.Column("message_id", sa.String(), primary_key=True),
    sa.Column("result", sa.JSON(), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
)


def upgrade() -> None:
    create_baseline(TABLES)
