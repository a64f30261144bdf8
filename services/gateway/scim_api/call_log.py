"""A tenant's SCIM call log, as the gateway records it: what the tenant's IdP called, when, and what it
was answered (status, the Error's detail), so its admin sees why Okta's or Entra's last call failed.

Why in batches: a Kafka write per SCIM call would add a broker round trip's CPU to every request
(bench/RESULTS.md). So a call costs the request a tuple appended to a bounded buffer (a few µs); the
calls go to the sync-status reporter as ``RecordScimCalls`` at most once every ``flush_seconds`` (and
whatever is left on shutdown), and only then is the path cut and the Error's detail read. The path
stays percent-encoded until an admin reads it (admin/scim_log.py): decoding costs more than the
rest of a call's recording, and few calls are ever read. With the broker away the buffer keeps the
newest ``max_buffered`` calls and counts (and logs) the ones it dropped.
Never recorded: a body, a header (the token).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime
from typing import NamedTuple

import orjson

from contracts.sync_status.scim_log_v1 import (
    DETAIL_MAX,
    METHOD_MAX,
    PATH_MAX,
    RecordScimCalls,
    ScimCall,
)
from contracts.topics import SYNC_STATUS_COMMANDS
from shared.messaging.requester import Requester

log = logging.getLogger(__name__)

#: Calls held while the broker is away (about 10 s of a busy gateway; a few MB at most).
MAX_BUFFERED = 10_000
#: Calls per message: well under the topics' 8 MiB even with every path and detail at its longest.
BATCH_MAX = 500
#: A credential of ours in a URL (a client that put its token in the query): never stored.
_CREDENTIAL = re.compile(r"\b(sc[af])(_|%5[fF])[A-Za-z0-9_%-]+")

Send = Callable[[RecordScimCalls], Awaitable[None]]


class Call(NamedTuple):
    """A call as the request leaves it: cheap to make; turned into a ScimCall only when sent."""

    seq: int  # this process's count: with its prefix, the call's id
    tenant_id: str
    at: datetime
    method: str
    raw_path: str  # as sent: percent-encoded, with the query string
    status: int
    error_body: bytes | None  # the Error the client got (status >= 400), for its detail
    duration_ms: int


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def stored_path(raw_path: str) -> str:
    """As sent, cut, and without a credential of ours (checked for only where one could be)."""
    if "scf" in raw_path or "sca" in raw_path:
        raw_path = _CREDENTIAL.sub(r"\1\2…", raw_path)
    return cut(raw_path, PATH_MAX)


def detail_of(error_body: bytes | None) -> str | None:
    """The SCIM Error's (or the admin API's) ``detail``; None when the body is not one."""
    if not error_body:
        return None
    try:
        detail = orjson.loads(error_body).get("detail")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return cut(detail, DETAIL_MAX) if isinstance(detail, str) else None


def to_contract(call: Call, prefix: str) -> ScimCall:
    return ScimCall(call_id=f"{prefix}-{call.seq}", tenant_id=call.tenant_id, at=call.at,
                    method=cut(call.method, METHOD_MAX), path=stored_path(call.raw_path), status=call.status,
                    detail=detail_of(call.error_body), duration_ms=max(call.duration_ms, 0))


def batch_of(calls: list[Call], prefix: str) -> RecordScimCalls | None:
    """The calls as one message; one that does not fit the contract is logged and left out, so it cannot
    hold up the rest at every retry."""
    sent = []
    for call in calls:
        try:
            sent.append(to_contract(call, prefix))
        except ValueError:
            log.exception("SCIM call left out of the log", extra={"seq": call.seq})
    return RecordScimCalls(calls=sent) if sent else None


class ScimCallLog:
    def __init__(self, *, flush_seconds: float = 1.0, send_timeout: float = 5.0,
                 max_buffered: int = MAX_BUFFERED, batch_max: int = BATCH_MAX) -> None:
        self._flush_seconds, self._send_timeout, self._batch_max = flush_seconds, send_timeout, batch_max
        self._calls: deque[Call] = deque(maxlen=max_buffered)
        self._max_buffered = max_buffered
        self._arrived = asyncio.Event()  # set by the first call after a flush: the flush loop sleeps till then
        # Call ids: this process's random prefix and a counter (unique without a uuid per call).
        self._prefix, self._seq = uuid.uuid4().hex[:16], itertools.count(1)
        self.dropped = 0  #: calls lost to a full buffer since the process started
        self._dropped_unlogged = 0

    def __len__(self) -> int:
        return len(self._calls)

    def record(self, tenant_id: str, at: datetime, method: str, raw_path: str, status: int,
               error_body: bytes | None, duration_ms: int) -> None:
        """On the request's path: no I/O, no model built, nothing parsed."""
        if len(self._calls) == self._max_buffered:
            self._count_dropped(1)
        self._calls.append(Call(next(self._seq), tenant_id, at, method, raw_path, status, error_body, duration_ms))
        self._arrived.set()

    def wake(self) -> None:
        """Let ``run`` see ``stop`` at once (shutdown)."""
        self._arrived.set()

    async def run(self, send: Send, stop: asyncio.Event) -> None:
        """Send what arrived at most every ``flush_seconds`` until ``stop``, then everything left."""
        while not stop.is_set():
            await self._arrived.wait()
            with suppress(TimeoutError):  # the calls of the next second join this batch; a stop sends at once
                async with asyncio.timeout(self._flush_seconds):
                    await stop.wait()
            await self.flush(send)
        await self.flush(send)

    async def flush(self, send: Send) -> bool:
        """Send every buffered call, BATCH_MAX to a message; False (calls kept for the next try) if a send failed."""
        self._arrived.clear()
        while self._calls:
            batch = [self._calls.popleft() for _ in range(min(self._batch_max, len(self._calls)))]
            if (message := batch_of(batch, self._prefix)) is None:
                continue
            try:
                async with asyncio.timeout(self._send_timeout):
                    await send(message)
            except Exception:
                log.warning("SCIM call log not sent; will retry", exc_info=True, extra={"calls": len(batch)})
                self._put_back(batch)
                self._arrived.set()
                return False
            finally:
                self._log_dropped()
        return True

    def _put_back(self, batch: list[Call]) -> None:
        """Ahead of the calls that came since, as many as fit: the oldest are the ones dropped."""
        room = self._max_buffered - len(self._calls)
        kept = batch[len(batch) - room:] if room < len(batch) else batch
        self._count_dropped(len(batch) - len(kept))
        self._calls.extendleft(reversed(kept))

    def _count_dropped(self, calls: int) -> None:
        self.dropped += calls
        self._dropped_unlogged += calls

    def _log_dropped(self) -> None:
        if self._dropped_unlogged:
            log.warning("SCIM call log buffer full: %d oldest calls dropped", self._dropped_unlogged,
                        extra={"dropped": self._dropped_unlogged, "dropped_total": self.dropped})
            self._dropped_unlogged = 0


def sender(requester: Requester, instance_id: str) -> Send:
    """Cast to the sync-status reporter; keyed by this gateway (the calls' order is their ``at``, not the topic's)."""
    async def send(batch: RecordScimCalls) -> None:
        await requester.cast(batch, topic=SYNC_STATUS_COMMANDS.name, key=f"scim-log:{instance_id}")
    return send
