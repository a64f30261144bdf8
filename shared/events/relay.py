"""The outbox relay: a task in each process of a service that emits events (the user store, the seat
allocator) that publishes its file's outbox rows on ``scimflow.events``; ``outboxed`` wires it in.

A round reads the rows due, sends them at once (``Publisher.send_all``: a batch per partition), and
deletes each row once the broker acknowledged it; a crash before the delete publishes the row again
after the restart (at least once, under the same event id). Rounds follow each other while rows come; an idle relay
waits for a commit that wrote events (``wake``) or, at the latest, POLL_SECONDS.

Order per subject, with any number of relays on one database (on PostgreSQL a service's rows of one key
are written by units taking turns on a lock, so their seq is their commit order): a row is due only when no earlier
row of its key is left, so a subject's next event is sent only once its previous one is acknowledged,
whichever relay sent it, and however two relays' rounds overlap (a late duplicate never overtakes,
and after dedupe by id a consumer sees each subject's events in commit order). Its backlog (rows, the
oldest's age) is reported at most every BACKLOG_EVERY_SECONDS (shared/metrics/events.py). Several copies share
the work by a single-writer rule: each relay publishes the rows its own process committed, and
adopts another's once they are ADOPT_AFTER old (that process stopped, or is stuck): no claims to
write, and the price of a stuck copy coming back is duplicates, never a loss or a reorder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from contracts.events.v1 import CONTENT_TYPE
from contracts.topics import EVENTS
from shared.events.emitted import epoch_ms
from shared.events.outbox import Outbox, UnitOfWorkWithEvents
from shared.log_limits import MAY_FLOOD
from shared.messaging.ping import ServiceIdentity
from shared.messaging.transport import Bus, Publisher, RecordTooLarge
from shared.metrics.events import EVENT_OUTBOX_OLDEST_SECONDS, EVENT_OUTBOX_ROWS
from shared.sqlite import placeholders
from shared.store import UnitOfWork

log = logging.getLogger(__name__)

#: Rows one round sends at most (one produce request per partition carries them).
ROUND_ROWS = 500
#: The fallback when no commit of this process woke the relay: another copy's rows it adopts, a subject
#: whose earlier event another copy has just published.
POLL_SECONDS = 1.0
#: How long a round waits for more commits to join it: a round costs a read, a produce request (and the
#: broker's work on it, and the webhooks ingest's on what it brings) and a delete whatever its size.
#: After a quiet round, briefly: a lone change reaches the stream at once. After a round of BUSY_ROWS or
#: more (an import), longer: rounds then carry hundreds of events each, and a tenth of a second more on
#: each event's way costs nobody (bench/RESULTS.md, events' cost per create: 0.4 s after busy rounds saved ~2 % of the whole
#: system's CPU per create against a fixed 0.1 s). A subject's events go out one a round.
LINGER_SECONDS = 0.05
BUSY_LINGER_SECONDS = 0.4
BUSY_ROWS = 10
#: Rows another copy wrote are published by this one once this old: as long as a consumer group waits for
#: a copy that stopped heartbeating (shared/settings.py), after which its commands are served elsewhere too.
ADOPT_AFTER = timedelta(seconds=10)
#: At stop, how long the last round may take (what it leaves, the next start publishes).
LAST_ROUND_SECONDS = 5.0
#: How often a relay counts its outbox for the metrics: a count reads every row, and under load rounds
#: come every few milliseconds.
BACKLOG_EVERY_SECONDS = 1.0

_HEADERS = [("content-type", CONTENT_TYPE.encode())]

# Rows due: this process's or old enough to adopt, and each its key's first (none before it left).
_DUE = ("SELECT seq, key, body FROM event_outbox AS o WHERE (writer = ? OR created_ms < ?) AND NOT EXISTS "
        "(SELECT 1 FROM event_outbox AS p WHERE p.key = o.key AND p.seq < o.seq) ORDER BY seq LIMIT ?")
_BACKLOG = "SELECT count(*), min(created_ms) FROM event_outbox"

Row = tuple[int, str, bytes]


class Relay:
    def __init__(self, uow: Callable[..., UnitOfWork], publisher: Publisher, writer: str, *,
                 clock: Callable[[], datetime], topic: str = EVENTS.name, round_rows: int = ROUND_ROWS,
                 adopt_after: timedelta = ADOPT_AFTER, linger: float = LINGER_SECONDS) -> None:
        self._uow, self._publisher, self._writer = uow, publisher, writer
        self._clock, self._topic, self._round_rows, self._adopt_after = clock, topic, round_rows, adopt_after
        self._linger = linger
        self._woken = asyncio.Event()
        self._backlog_counted = -BACKLOG_EVERY_SECONDS  # time.monotonic() of the last count: none yet

    def wake(self) -> None:
        """A commit wrote events (outbox.Outbox.wake)."""
        self._woken.set()

    async def publish_due(self) -> int:
        """One round: send the rows due, delete those the broker acknowledged; returns how many were due.
        A failed send is raised once the others are settled (its row stays, for a later round)."""
        rows = await self._due()
        if not rows:
            return 0
        outcomes = await self._publisher.send_all(self._topic, [(key, body, _HEADERS) for _, key, body in rows])
        await self._forget([row[0] for row, outcome in zip(rows, outcomes, strict=True) if _settled(row, outcome)])
        for outcome in outcomes:
            if outcome is not None and not isinstance(outcome, RecordTooLarge):
                raise outcome
        return len(rows)

    async def run(self, stop: asyncio.Event, poll: float = POLL_SECONDS) -> None:
        """Rounds until ``stop``; then one last one, bounded."""
        failures = 0
        while not stop.is_set():
            self._woken.clear()
            try:
                due, failures = await self.publish_due(), 0
            except Exception:
                failures += 1
                log.exception("publishing events failed; retried", extra={MAY_FLOOD: True})
                due = 0
            await self._count_backlog()
            if due >= self._round_rows:
                continue  # a backlog: the next round at once
            if due == 0 or failures:
                await _first_of(stop, self._woken, timeout=poll * min(2 ** failures, 30))
            # the commits of the next moment join the round (a stop does not wait for them)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), BUSY_LINGER_SECONDS if due >= BUSY_ROWS else self._linger)
        try:
            async with asyncio.timeout(LAST_ROUND_SECONDS):
                while await self.publish_due():
                    pass
        except Exception:  # TimeoutError included: what is left, the next start publishes
            log.warning("events left unpublished at stop; the next start publishes them", exc_info=True)

    async def _due(self) -> list[Row]:
        adoptable = epoch_ms(self._clock() - self._adopt_after)
        async with self._uow(read_only=True) as uow:
            return await uow.run(lambda sql: sql.all(_DUE, self._writer, adoptable, self._round_rows))

    async def _count_backlog(self) -> None:
        """The outbox's rows and its oldest's age into the metrics, at most every BACKLOG_EVERY_SECONDS."""
        if time.monotonic() - self._backlog_counted < BACKLOG_EVERY_SECONDS:
            return
        self._backlog_counted = time.monotonic()
        try:
            async with self._uow(read_only=True) as uow:
                [(rows, oldest_ms)] = await uow.run(lambda sql: sql.all(_BACKLOG))
        except Exception:  # noqa: BLE001 - a metric is not worth stopping the relay for
            log.warning("counting the events outbox failed", exc_info=True, extra={MAY_FLOOD: True})
            return
        EVENT_OUTBOX_ROWS.set(rows)
        EVENT_OUTBOX_OLDEST_SECONDS.set(0 if oldest_ms is None else max(0, epoch_ms(self._clock()) - oldest_ms) / 1000)

    async def _forget(self, published: Sequence[int]) -> None:
        if not published:
            return
        async with self._uow() as uow:
            delete = f"DELETE FROM event_outbox WHERE seq IN ({placeholders(len(published))})"
            await uow.run(lambda sql: sql.run(delete, *published))
            await uow.commit()


def _settled(row: Row, outcome: BaseException | None) -> bool:
    """Whether the row is done with: the broker has it, or never will (kept, it would hold up its subject
    for good)."""
    if isinstance(outcome, RecordTooLarge):
        log.error("event larger than the bus carries, dropped", extra={"seq": row[0], "key": row[1]})
        return True
    return outcome is None


async def _first_of(stop: asyncio.Event, woken: asyncio.Event, timeout: float) -> None:
    """Return when either event is set, or after ``timeout``."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(woken.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


@asynccontextmanager
async def relaying(relay: Relay, poll: float = POLL_SECONDS) -> AsyncIterator[Relay]:
    """The relay runs while the block does (it starts with what a previous run left unpublished)."""
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop, poll))
    try:
        yield relay
    finally:
        stop.set()
        # A round in hand waits on the broker (down: for aiokafka's request timeout); stopping does not.
        if (await asyncio.wait({task}, timeout=2 * LAST_ROUND_SECONDS))[1]:
            task.cancel()
            log.warning("event relay stopped mid-round; the next start publishes what it left")
        await asyncio.gather(task, return_exceptions=True)


UowT = TypeVar("UowT", bound=UnitOfWorkWithEvents)


@asynccontextmanager
async def outboxed(uow: Callable[..., UowT], events: Publisher | None, identity: ServiceIdentity, *,
                   clock: Callable[[], datetime], poll: float = POLL_SECONDS) -> AsyncIterator[Callable[..., UowT]]:
    """``uow`` (a service's unit-of-work factory) with its units' events written to the outbox, and the relay
    publishing them through ``events`` while the block runs (as source ``scimflow/<service>``). No
    publisher: events are off, ``uow`` as it is (its units write none)."""
    if events is None:
        yield uow
        return
    relay = Relay(uow, events, identity.instance, clock=clock)
    async with relaying(relay, poll):
        yield partial(uow, outbox=Outbox(f"scimflow/{identity.service}", identity.instance, relay.wake))


@asynccontextmanager
async def event_publisher(bus: Bus) -> AsyncIterator[Publisher]:
    """A publisher on ``bus`` for the events, the topic created if missing. A bus of its own (its own
    producer): a slow event stream never holds up the service's commands and replies."""
    await bus.ensure_topics([EVENTS])
    async with bus.publisher() as events:
        yield events
