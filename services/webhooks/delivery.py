"""Deliveries: each queued event POSTed to its endpoint, signed (signing.py), retried until it succeeds.

A copy of the service keeps up to ``webhooks_concurrency`` deliveries in flight and claims the next due one
whenever one ends: a slow endpoint holds up its own deliveries only. What is due is, per endpoint and
subject, the oldest event not yet delivered: a user's deactivation never reaches an endpoint before its
creation did, and while a subject's event is being retried its later ones wait. A claim keeps the other
copies off a delivery for as long as an attempt may take; a copy that dies mid-attempt leaves the claim
to expire, and the event is sent again (at least once: the receiver dedupes by ``webhook-id``). Claims are
made in one write transaction: on SQLite one writer claims at a time; on PostgreSQL, where copies claim at
the same moment, the due rows are selected FOR UPDATE SKIP LOCKED, so a row another copy is claiming is
passed over, and one it has claimed no longer looks due once its claim is committed.

A failed attempt (no answer, or not a 2xx: redirects are not followed) is retried after a delay that
doubles, with jitter, up to a most. An endpoint with no success for ``give_up_after`` (3 days) is disabled;
its tenant's admins are told once. Its undelivered events stay queued: enabling it resumes them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import aiohttp

from contracts.events.v1 import CONTENT_TYPE
from services.webhooks import signing
from services.webhooks.addresses import AddressRefused, GuardedResolver
from services.webhooks.settings import WebhooksSettings
from services.webhooks.tables import AttemptRow, EndpointRow
from services.webhooks.unit_of_work import UnitOfWork
from shared.events.emitted import epoch_ms
from shared.sqlite import PlainSql, table_of

log = logging.getLogger(__name__)

#: What an attempt's error keeps of the endpoint's answer.
ANSWER_SHOWN = 200
#: A claim outlasts the longest attempt by this much.
CLAIM_MARGIN = timedelta(seconds=30)
#: At stop, how long attempts in flight may take to end (the others' claims expire; they are sent again).
STOP_WAIT_SECONDS = 5.0

_ATTEMPTS, _ENDPOINTS = table_of(AttemptRow), table_of(EndpointRow)

# Due: the endpoint enabled, the time come, no claim in force, and no earlier event of its subject left.
_DUE = ("SELECT d.id, e.id, e.tenant_id, e.url, e.secret, v.id, v.type, v.body, d.attempts "
        "FROM deliveries AS d JOIN endpoints AS e ON e.id = d.endpoint_id JOIN events AS v ON v.seq = d.event_seq "
        "WHERE e.enabled AND d.next_attempt_ms <= ? AND (d.claimed_until_ms IS NULL OR d.claimed_until_ms < ?) "
        "AND NOT EXISTS (SELECT 1 FROM deliveries AS p WHERE p.endpoint_id = d.endpoint_id AND p.key = d.key "
        "AND p.event_seq < d.event_seq) ORDER BY d.event_seq LIMIT ?")
#: PostgreSQL's: the due deliveries' rows locked as they are claimed, those another copy holds skipped.
_SKIP_CLAIMED = " FOR UPDATE OF d SKIP LOCKED"


@dataclass(frozen=True)
class Due:
    delivery_id: int
    endpoint_id: str
    tenant_id: str
    url: str
    secret: str
    event_id: str
    event_type: str
    body: bytes
    attempts: int  # made before this one


@dataclass(frozen=True)
class Outcome:
    due: Due
    time: datetime
    latency_ms: int
    status_code: int | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Disabled:
    """An endpoint this attempt disabled: its admins are told."""

    tenant_id: str
    endpoint_id: str
    url: str
    failing_since: datetime


class Poster(Protocol):
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """The endpoint's status and the start of its answer; raises when no answer came."""


class HttpPoster:
    """aiohttp, connecting only to the addresses the settings allow, never following a redirect."""

    def __init__(self, settings: WebhooksSettings) -> None:
        resolver = None if settings.webhooks_allow_private_addresses else GuardedResolver()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver, limit=settings.webhooks_concurrency),
            timeout=aiohttp.ClientTimeout(total=settings.webhooks_timeout_seconds), auto_decompress=False)

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as answer:
                return answer.status, await answer.content.read(ANSWER_SHOWN)
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.__cause__, AddressRefused):  # aiohttp words it as a DNS failure: say why
                raise error.__cause__ from None
            raise

    async def close(self) -> None:
        await self._session.close()


Notify = Callable[[Disabled], Awaitable[None]]


class Deliverer:
    def __init__(self, uow: Callable[..., UnitOfWork], poster: Poster, settings: WebhooksSettings, *,
                 clock: Callable[[], datetime], notify: Notify, jitter: Callable[[], float] = random.random) -> None:
        self._uow, self._poster, self._settings, self._clock = uow, poster, settings, clock
        self._notify, self._jitter = notify, jitter
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """New deliveries were queued (events came in, a replay, an endpoint enabled)."""
        self._woken.set()

    async def run(self, stop: asyncio.Event) -> None:
        in_flight: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            self._woken.clear()
            free = self._settings.webhooks_concurrency - len(in_flight)
            claimed = await self._claimed(free) if free else []
            in_flight |= {asyncio.create_task(self.deliver(due)) for due in claimed}
            waits = {*in_flight, asyncio.ensure_future(stop.wait())}
            if len(claimed) < free:  # nothing more due now: new work may also come by a wake or the clock
                waits.add(asyncio.ensure_future(self._woken.wait()))
            await asyncio.wait(waits, timeout=self._settings.webhooks_poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits - in_flight:
                waiting.cancel()
            in_flight = {task for task in in_flight if not task.done()}
        if in_flight:
            await asyncio.wait(in_flight, timeout=STOP_WAIT_SECONDS)
            for task in in_flight:
                task.cancel()

    async def deliver_due(self) -> int:
        """Every delivery due now, once (tests and a round by hand); returns how many were attempted."""
        claimed = await self._claimed(self._settings.webhooks_concurrency)
        await asyncio.gather(*(self.deliver(due) for due in claimed))
        return len(claimed)

    async def deliver(self, due: Due) -> None:
        try:
            disabled = await self._settle(await self._attempt(due))
            if disabled is not None:
                await self._notify(disabled)
        except Exception:  # its claim expires and it is tried again
            log.exception("a delivery could not be settled", extra={"event_id": due.event_id})

    async def _claimed(self, most: int) -> list[Due]:
        try:
            return await self._claim(most)
        except Exception:
            log.exception("claiming deliveries failed; the next round tries again")
            return []

    async def _claim(self, most: int) -> list[Due]:
        now = epoch_ms(self._clock())
        until = now + int((self._settings.webhooks_timeout_seconds + CLAIM_MARGIN.total_seconds()) * 1000)
        async with self._uow() as uow:
            rows = await uow.run(lambda sql: claim_due(sql, now, until, most))
            await uow.commit()
        return rows

    async def _attempt(self, due: Due) -> Outcome:
        at, started = self._clock(), time.monotonic()
        headers = {"content-type": CONTENT_TYPE, "user-agent": "scimflow-webhooks/1",
                   **signing.headers(due.secret, due.event_id, int(at.timestamp()), due.body)}
        try:
            status, answer = await self._poster.post(due.url, due.body, headers)
        except (aiohttp.ClientError, OSError, TimeoutError) as error:  # refused, timed out, an address not allowed
            return Outcome(due, at, _elapsed_ms(started), error=_no_answer(error, self._settings))
        failed = None if 200 <= status < 300 else f"HTTP {status}: {answer.decode(errors='replace')}".strip()
        return Outcome(due, at, _elapsed_ms(started), status_code=status, error=failed)

    async def _settle(self, outcome: Outcome) -> Disabled | None:
        async with self._uow() as uow:
            disabled = await uow.run(lambda sql: self._settled(sql, outcome))
            await uow.commit()
        return disabled

    def _settled(self, sql: PlainSql, outcome: Outcome) -> Disabled | None:
        """The attempt recorded; the delivery gone (delivered) or due again later."""
        due = outcome.due
        sql.insert(_ATTEMPTS, {"endpoint_id": due.endpoint_id, "event_id": due.event_id,
                               "event_type": due.event_type, "attempt": due.attempts + 1, "time": outcome.time,
                               "status_code": outcome.status_code, "latency_ms": outcome.latency_ms,
                               "succeeded": outcome.succeeded, "error": outcome.error})
        if not outcome.succeeded:
            return self._failed(sql, outcome)
        sql.run("DELETE FROM deliveries WHERE id = ?", due.delivery_id)
        sql.run("UPDATE endpoints SET failing_since = NULL WHERE id = ?", due.endpoint_id)
        return None

    def _failed(self, sql: PlainSql, outcome: Outcome) -> Disabled | None:
        due, now = outcome.due, outcome.time
        retry_at = now + self.backoff(due.attempts + 1)
        sql.run("UPDATE deliveries SET attempts = ?, next_attempt_ms = ?, claimed_until_ms = NULL WHERE id = ?",
                due.attempts + 1, epoch_ms(retry_at), due.delivery_id)
        endpoints = sql.select(_ENDPOINTS, "id = ?", due.endpoint_id)
        if not endpoints:
            return None  # deleted meanwhile
        failing_since = endpoints[0].failing_since or now
        if endpoints[0].failing_since is None:
            sql.update(_ENDPOINTS, {"id": due.endpoint_id, "failing_since": now}, key=("id",))
        if not endpoints[0].enabled or now - failing_since < self._settings.give_up_after:
            return None
        reason = f"no delivery succeeded since {failing_since:%Y-%m-%d %H:%M} UTC: {outcome.error}"[:500]
        # Only while still enabled: on PostgreSQL two of its deliveries may fail at once, each read it enabled,
        # and the second's update waits for the first's, then finds it disabled: the admins are told once.
        if not sql.run("UPDATE endpoints SET enabled = ?, disabled_reason = ? WHERE id = ? AND enabled",
                       False, reason, due.endpoint_id):
            return None
        log.warning("webhook endpoint disabled", extra={"endpoint_id": due.endpoint_id, "tenant_id": due.tenant_id})
        return Disabled(due.tenant_id, due.endpoint_id, due.url, failing_since)

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failure: doubling from the base up to the most, then a random
        half to the whole of it (so the retries of an endpoint that came back do not all arrive at once)."""
        settings = self._settings
        delay = min(settings.retry_base * 2 ** min(attempts - 1, 32), settings.retry_max)
        return delay * (0.5 + self._jitter() / 2)


def claim_due(sql: PlainSql, now_ms: int, until_ms: int, most: int) -> list[Due]:
    """Up to ``most`` deliveries due at ``now_ms``, claimed until ``until_ms`` (in the caller's transaction)."""
    skip_claimed = _SKIP_CLAIMED if sql.dialect.name == "postgresql" else ""
    rows = [Due(*row) for row in sql.all(_DUE + skip_claimed, now_ms, now_ms, most)]
    for due in rows:
        sql.run("UPDATE deliveries SET claimed_until_ms = ? WHERE id = ?", until_ms, due.delivery_id)
    return rows


def _no_answer(error: Exception, settings: WebhooksSettings) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {settings.webhooks_timeout_seconds:g} s"
    return f"{type(error).__name__}: {error}"[:ANSWER_SHOWN] or type(error).__name__


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
