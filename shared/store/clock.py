"""Times in UTC: what the stores write, and what they read back (SQLite returns datetimes naive)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """In UTC; a naive datetime is taken as UTC (SQLite hands them back naive; they were stored in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
