"""Template filters: moments as people read them (UTC, to the minute; days left)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def parse_moment(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def when(value: str | datetime | None) -> str:
    """'2026-12-07 14:05 UTC'."""
    moment = parse_moment(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def days_left(value: str | datetime | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> str:
    """'expires in 89 days', 'expires today', 'expired 3 days ago'."""
    moment = parse_moment(value)
    if moment is None:
        return ""
    days = (moment - now()).days
    if moment <= now():
        ago = (now() - moment).days
        return "expired today" if ago == 0 else f"expired {ago} day{'s' * (ago != 1)} ago"
    return "expires today" if days == 0 else f"expires in {days} day{'s' * (days != 1)}"


FILTERS = {"when": when, "days_left": days_left}
