"""A process that emits events and does nothing else, on a real SQLite file: the outbox table, units of work
with events and the relay, wired as the user store and the seat allocator wire them (shared/events)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

import orjson
from sqlmodel import SQLModel

from contracts import MessageMeta
from contracts.events.v1 import USER_UPDATED
from shared.events.emitted import Emitted
from shared.events.outbox import UnitOfWorkWithEvents
from shared.events.relay import outboxed
from shared.events.tables import EventOutboxRow
from shared.messaging.ping import ServiceIdentity
from shared.messaging.transport import Publisher
from shared.sqlite import create_engine, session_factory, table_of
from shared.store import utc_now
from tests.support.events import RecordingPublisher, until


@dataclass(frozen=True)
class Emitter:
    uow: Callable[..., UnitOfWorkWithEvents]
    clock: Callable[[], datetime]

    async def commit(self, *events: Emitted, message_id: str | None = None) -> None:
        """One command's change: its events written in its unit of work, which commits."""
        meta = MessageMeta(message_type="x", tenant_id="t1", **({"message_id": message_id} if message_id else {}))
        async with self.uow() as uow:
            await uow.events.emit_all(meta, events, self.clock())
            await uow.commit()

    async def retitle(self, subject: str, title: str = "-") -> None:
        await self.commit((USER_UPDATED, subject, {"title": title}))


@asynccontextmanager
async def emitter(database: Path, events: Publisher | None, instance: str = "t", *,
                  clock: Callable[[], datetime] = utc_now) -> AsyncIterator[Emitter]:
    """One process of a service ``emitter`` on the file (several may share it, as copies of a service do)."""
    engine = create_engine(database)
    try:
        with engine.sync_engine.begin() as connection:  # the outbox alone: this service has no migrations
            SQLModel.metadata.create_all(connection, tables=[table_of(EventOutboxRow)])
        units = partial(UnitOfWorkWithEvents, session_factory(engine), clock=clock)
        async with outboxed(units, events, ServiceIdentity("emitter", instance), clock=clock, poll=0.01) as uow:
            yield Emitter(uow, clock)
    finally:
        await engine.dispose()


def outbox(database: Path) -> list[tuple[str, str, dict]]:
    """The outbox's rows as another process reads them (committed only): key, writer, event."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT key, writer, body FROM event_outbox ORDER BY seq").fetchall()
    return [(key, writer, orjson.loads(body)) for key, writer, body in rows]


async def published(events: RecordingPublisher, database: Path) -> dict[str, list[str]]:
    """Each subject's event types once the relay has published everything committed."""
    await until(lambda: not outbox(database) and not events.in_flight)
    return events.types_by_subject()


def titles(events: RecordingPublisher, subject: str) -> list[str]:
    """The titles of a subject's events in the order a consumer that dedupes by id sees them."""
    seen, found = set(), []
    for event in events.events():
        if event.subject == subject and event.id not in seen:
            seen.add(event.id)
            found.append(event.data["title"])
    return found
