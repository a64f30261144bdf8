"""The events this service received: stored once each, queued for the endpoints that want them, and paged
through by the events API.

The stream is at least once, so an event may come twice (a relay's repeat, a redelivery after this service
restarted): the second copy finds its id stored and is dropped, queuing nothing. Two copies of the service
filing one event at once (a rebalance of the ingest's group) both insert it ``ON CONFLICT DO NOTHING``: one
row, and only the copy whose insert made it queues its deliveries. A subject's events arrive in commit order
(one partition), and the service numbers them as they arrive (``seq``), so the events API's order, and every
endpoint's delivery order, is commit order per subject.
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import orjson

from contracts import ErrorCode
from contracts.topics import resource_key
from services.webhooks.tables import EndpointRow
from shared.events.emitted import epoch_ms
from shared.messaging.dispatch import CommandFailed
from shared.sqlite import PlainSql, placeholders, table_of

log = logging.getLogger(__name__)

_ENDPOINTS = table_of(EndpointRow)
_REQUIRED = ("id", "tenantid", "type", "subject", "time")
CURSOR_PREFIX = "ev1:"
#: Events one INSERT statement files (7 values each, far below SQLite's limit of bound values).
INSERT_ROWS = 200


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


class Filed(NamedTuple):
    new: int  # events not stored before
    queued: int  # deliveries queued for them


def store_events(sql: PlainSql, values: Iterable[bytes], now: datetime) -> Filed:
    """File the events not stored yet and queue each for its tenant's endpoints."""
    events = [event for event in map(received, values) if event is not None]
    endpoints: dict[str, list[tuple[str, list[str]]]] = {}
    now_ms = epoch_ms(now)
    new = queued = 0
    for event, seq in _inserted(sql, events, now_ms):
        new += 1
        if event.tenant_id not in endpoints:
            endpoints[event.tenant_id] = listening(sql, event.tenant_id)
        wanting = [endpoint_id for endpoint_id, types in endpoints[event.tenant_id] if wants(types, event.type)]
        queued += queue(sql, wanting, seq, resource_key(event.tenant_id, event.subject), now_ms)
    return Filed(new, queued)


def _inserted(sql: PlainSql, events: Sequence[Received], now_ms: int) -> list[tuple[Received, int]]:
    """Insert the events not stored yet, in the order given (their ``seq`` follows it); returns those new,
    with their seq, in that order. A statement per INSERT_ROWS events: a row's own statement cost as
    much again as SQLite's work on it (bench/RESULTS.md, events' cost per create)."""
    new: list[tuple[Received, int]] = []
    for start in range(0, len(events), INSERT_ROWS):
        chunk = events[start:start + INSERT_ROWS]
        params = [value for event in chunk for value in
                  (event.id, event.tenant_id, event.type, event.subject, event.time_ms, now_ms, event.body)]
        # RETURNING's order is SQLite's to choose: matched by id (a repeat within the chunk returns once).
        seqs = dict((event_id, seq) for seq, event_id in sql.all(_insert_sql(len(chunk)), *params))
        new += [(event, seqs.pop(event.id)) for event in chunk if event.id in seqs]
    return new


@functools.cache
def _insert_sql(rows: int) -> str:
    return ("INSERT INTO events (id, tenant_id, type, subject, time_ms, received_ms, body) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * rows) + " ON CONFLICT (id) DO NOTHING RETURNING seq, id")


def listening(sql: PlainSql, tenant_id: str) -> list[tuple[str, list[str]]]:
    """The tenant's enabled endpoints and the types each wants (empty: every type)."""
    return [(row.id, row.event_types) for row in sql.select(_ENDPOINTS, "tenant_id = ? AND enabled", tenant_id)]


def wants(types: Sequence[str], event_type: str) -> bool:
    return not types or event_type in types


def queue(sql: PlainSql, endpoint_ids: Iterable[str], seq: int, key: str, due_ms: int) -> int:
    """A delivery of event ``seq`` to each endpoint, due at ``due_ms``; one already queued stays as it is."""
    return sum(sql.run("INSERT INTO deliveries (endpoint_id, event_seq, key, attempts, next_attempt_ms) "
                       "VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING", endpoint_id, seq, key, due_ms)
               for endpoint_id in endpoint_ids)


def prune(sql: PlainSql, before_ms: int) -> int:
    """Forget the events received before ``before_ms`` and their queued deliveries; returns how many events.
    Events are numbered as they arrive, so those are the ones before the first received since: found by
    reading from the oldest (what is read is what goes), with no index on the time to keep up per insert.
    Each delete also asks the time: on PostgreSQL the ingest files events while this runs, each statement
    seeing what was committed by then, and an event may commit after one with a higher seq; a new one
    never looks old, so none is forgotten as it arrives."""
    first_kept = sql.value("SELECT seq FROM events WHERE received_ms >= ? ORDER BY seq LIMIT 1", before_ms)
    if first_kept is None:
        first_kept = sql.value("SELECT COALESCE(MAX(seq), 0) + 1 FROM events")
    sql.run("DELETE FROM deliveries WHERE event_seq IN (SELECT seq FROM events WHERE seq < ? AND received_ms < ?)",
            first_kept, before_ms)
    return sql.run("DELETE FROM events WHERE seq < ? AND received_ms < ?", first_kept, before_ms)


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
