"""The events this service received: stored once each, queued for the endpoints that want them, and paged
through by the events API.

The stream is at least once, so an event may come twice (a relay's repeat, a redelivery after this service
restarted): the second copy finds its id stored and is dropped, queuing nothing. A subject's events arrive
in commit order (one partition), and the service numbers them as they arrive (``seq``), so the events API's
order, and every endpoint's delivery order, is commit order per subject.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from contracts import ErrorCode
from contracts.topics import resource_key
from services.webhooks.tables import EndpointRow
from shared.events.emitted import epoch_ms
from shared.messaging.dispatch import CommandFailed
from shared.sqlite import PlainSql, placeholders

log = logging.getLogger(__name__)

_ENDPOINTS = EndpointRow.__table__  # type: ignore[attr-defined]
_REQUIRED = ("id", "tenantid", "type", "subject", "time")
CURSOR_PREFIX = "ev1:"


@dataclass(frozen=True)
class Received:
    """One event as the stream carried it, with the attributes this service files it by."""

    id: str
    tenant_id: str
    type: str
    subject: str
    time_ms: int
    body: bytes


def received(value: bytes) -> Received | None:
    """The record's event, or None (logged) when it is not one: a bad record is skipped, never retried."""
    try:
        event = orjson.loads(value)
        if not all(isinstance(event.get(name), str) and event[name] for name in _REQUIRED):
            raise ValueError(f"an event needs {', '.join(_REQUIRED)}")
        time_ms = epoch_ms(datetime.fromisoformat(event["time"]))
    except (ValueError, TypeError, AttributeError) as error:
        log.error("a record on the event stream is not an event; skipped", extra={"error": str(error)[:200]})
        return None
    return Received(event["id"], event["tenantid"], event["type"], event["subject"], time_ms, value)


def store_events(sql: PlainSql, values: Iterable[bytes], now: datetime) -> int:
    """File the events not stored yet and queue each for its tenant's endpoints; returns how many were new."""
    endpoints: dict[str, list[tuple[str, list[str]]]] = {}
    new = 0
    for event in filter(None, map(received, values)):
        seq = _insert(sql, event, now)
        if seq is None:
            continue  # a repeat: stored, and queued, when it first came
        new += 1
        if event.tenant_id not in endpoints:
            endpoints[event.tenant_id] = listening(sql, event.tenant_id)
        wanting = [endpoint_id for endpoint_id, types in endpoints[event.tenant_id] if wants(types, event.type)]
        queue(sql, wanting, seq, resource_key(event.tenant_id, event.subject), epoch_ms(now))
    return new


def _insert(sql: PlainSql, event: Received, now: datetime) -> int | None:
    row = sql.one("INSERT INTO events (id, tenant_id, type, subject, time_ms, received_ms, body) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq",
                  event.id, event.tenant_id, event.type, event.subject, event.time_ms, epoch_ms(now), event.body)
    return None if row is None else row[0]


def listening(sql: PlainSql, tenant_id: str) -> list[tuple[str, list[str]]]:
    """The tenant's enabled endpoints and the types each wants (empty: every type)."""
    return [(row.id, row.event_types) for row in sql.select(_ENDPOINTS, "tenant_id = ? AND enabled", tenant_id)]


def wants(types: Sequence[str], event_type: str) -> bool:
    return not types or event_type in types


def queue(sql: PlainSql, endpoint_ids: Iterable[str], seq: int, key: str, due_ms: int) -> int:
    """A delivery of event ``seq`` to each endpoint, due at ``due_ms``; one already queued stays as it is."""
    return sum(sql.run("INSERT OR IGNORE INTO deliveries (endpoint_id, event_seq, key, attempts, next_attempt_ms) "
                       "VALUES (?, ?, ?, 0, ?)", endpoint_id, seq, key, due_ms) for endpoint_id in endpoint_ids)


def page(sql: PlainSql, tenant_id: str, after: str | None, types: Sequence[str], limit: int) -> tuple[list, str]:
    """The tenant's events after the cursor, oldest first, and the cursor after the last of them."""
    last = seq_of(after) if after else 0
    kinds = f" AND type IN ({placeholders(len(types))})" if types else ""
    rows = sql.all(f"SELECT seq, body FROM events WHERE tenant_id = ? AND seq > ?{kinds} ORDER BY seq LIMIT ?",
                   tenant_id, last, *types, limit)
    return [orjson.loads(body) for _, body in rows], cursor(rows[-1][0] if rows else last)


def cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def seq_of(value: str) -> int:
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        if text.startswith(CURSOR_PREFIX) and (seq := int(text.removeprefix(CURSOR_PREFIX))) >= 0:
            return seq
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise CommandFailed(ErrorCode.INVALID_VALUE, "after: not a cursor the events API gave")
