"""A change's events before they are written (outbox.py writes them): ``(type, subject, data)``, and the times
they carry. Pure, so that the modules saying which events a change emits stay pure too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.store.clock import as_utc

#: (event type, subject, data): one event as a handler emits it.
Emitted = tuple[str, str, dict[str, Any]]


def epoch_ms(at: datetime) -> int:
    return int(as_utc(at).timestamp() * 1000)


def rfc3339(value: datetime) -> str:
    """UTC with a ``Z``, as SCIM's ``meta`` dates (and pydantic) write it."""
    return as_utc(value).isoformat().replace("+00:00", "Z")
