"""The public event stream read into this service's history (history.py), in a consumer group of its own.

A batch's offsets are committed only once its events are stored, so a crash re-reads them (and the
history drops the repeats). A batch that cannot be stored (the disk full, the database locked for long)
is tried again, never skipped: what the stream carried reaches every endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from contracts.topics import EVENTS
from services.webhooks.history import Filed, store_events
from services.webhooks.unit_of_work import UnitOfWork
from shared.messaging.stopping import fetch_unless_stopped
from shared.messaging.transport import Bus, Record

log = logging.getLogger(__name__)

#: Its consumer group: apart from the service's command group, so neither's rebalance stops the other.
INGEST_GROUP = "webhooks.events"
POLL_MS = 200
RETRY_SECONDS = 1.0
#: How long the broker may hold a fetch for more events to join the first: a batch costs a fetch, a
#: transaction and an offset commit whatever its size (bench, creates at C=32: a batch per fetch cost
#: 0.2 ms of CPU per event here and more in the broker); this wait adds at most as much to an event's
#: way to its endpoints.
GATHER_MS = 250
#: Stored batches' offsets are committed at most this often (a commit is a request to the broker, and
#: a crash re-reads at most this much, which the history drops as repeats).
COMMIT_EVERY_SECONDS = 1.0


async def ingest(bus: Bus, uow: Callable[..., UnitOfWork], clock: Callable[[], datetime],
                 queued: Callable[[], None], stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
    """Read the stream until ``stop``; ``queued`` is called when a batch queued deliveries (an event an
    endpoint wants: the deliverer looks for due work then, and only then)."""
    async with bus.group_consumer([EVENTS.name], INGEST_GROUP, gather_ms=GATHER_MS) as consumer:
        if ready is not None:
            ready.set()
        uncommitted: list[Record] = []  # stored, their offsets not committed yet
        last_commit = time.monotonic()
        try:
            while not stop.is_set():
                records = list(await fetch_unless_stopped(consumer, stop, POLL_MS))
                if records and (filed := await _stored(uow, records, clock, stop)) is not None:
                    uncommitted += records
                    if filed.queued:
                        queued()
                if uncommitted and time.monotonic() - last_commit >= COMMIT_EVERY_SECONDS:
                    await consumer.commit(uncommitted)
                    uncommitted, last_commit = [], time.monotonic()
        finally:
            if uncommitted:  # at stop; a crash instead re-reads them, and the history drops the repeats
                with contextlib.suppress(Exception):
                    await consumer.commit(uncommitted)


async def _stored(uow: Callable[..., UnitOfWork], records: Sequence[Record], clock: Callable[[], datetime],
                  stop: asyncio.Event) -> Filed | None:
    """Store the batch, trying again until it is, or until the service stops (None: re-read at restart)."""
    while not stop.is_set():
        try:
            batch = partial(store_events, values=[record.value for record in records], now=clock())
            async with uow() as unit:
                filed = await unit.run(batch)
                await unit.commit()
            log.debug("events stored", extra={"received": len(records), "new": filed.new, "queued": filed.queued})
            return filed
        except Exception:
            log.exception("storing events failed; tried again")
            await asyncio.sleep(RETRY_SECONDS)
    return None
