"""The transactional outbox: a change's events are rows written in the change's own transaction.

So an event exists exactly when its change was committed: a refused or rolled-back write leaves none,
and a crash after the commit leaves the rows for the relay (relay.py) to publish after a restart.
Each event's ``id`` is the committing command's message id and the event's index in that commit: a
service's journal commits each message id once (shared/store.Journal), and a publication repeated
after a crash sends the same row, so a consumer that drops ids it has seen sees each event once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from contracts import MessageMeta
from contracts.events.v1 import cloud_event
from contracts.topics import resource_key
from shared.events.emitted import Emitted, epoch_ms, rfc3339
from shared.messaging.dispatch import tenant_of
from shared.store import Repository
from shared.store import UnitOfWork as SessionUnitOfWork

_INSERT = "INSERT INTO event_outbox (key, writer, created_ms, body) VALUES (?, ?, ?, ?)"


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class Outbox:
    """Where a service process's events go: ``source`` names the service in each event, ``writer`` this
    process (its relay publishes the rows it wrote), ``wake`` tells the relay a commit wrote some."""

    source: str
    writer: str
    wake: Callable[[], None] = field(default=_nothing)


class EventWriter(Repository):
    """A unit of work's events, written as outbox rows; without an outbox (events off) it writes none."""

    def __init__(self, uow: SessionUnitOfWork, outbox: Outbox | None) -> None:
        super().__init__(uow)
        self._outbox = outbox
        self.written = 0  # in this unit of work: the next event's index in its id
        self._times: tuple[datetime, str, int] | None = None  # the last ``at`` written, as text and epoch ms

    async def emit(self, meta: MessageMeta, event_type: str, subject: str, data: dict, at: datetime) -> None:
        if (outbox := self._outbox) is None:
            return
        tenant_id = tenant_of(meta)
        time, at_ms = self._rendered(at)
        body = orjson.dumps(cloud_event(event_type, event_id=f"{meta.message_id}-{self.written}",
                                        source=outbox.source, subject=subject, tenant_id=tenant_id,
                                        time=time, data=data))
        key = resource_key(tenant_id, subject)
        await self._run(lambda sql: sql.run(_INSERT, key, outbox.writer, at_ms, body))
        self.written += 1

    def _rendered(self, at: datetime) -> tuple[str, int]:
        """``at`` as the event's time and as epoch ms: a unit's events mostly share it, rendered once."""
        if self._times is None or self._times[0] != at:
            self._times = (at, rfc3339(at), epoch_ms(at))
        return self._times[1], self._times[2]

    async def emit_all(self, meta: MessageMeta, events: Iterable[Emitted], at: datetime) -> None:
        for event_type, subject, data in events:
            await self.emit(meta, event_type, subject, data, at)

    def committed(self) -> None:
        """Called once the unit of work committed: the relay has rows to publish."""
        if self.written and self._outbox is not None:
            self._outbox.wake()


class UnitOfWorkWithEvents(SessionUnitOfWork):
    """A unit of work whose changes emit events (``events``); ``outbox``: where they go, None: events are
    off (none is written)."""

    def __init__(self, sessions: Any, *, outbox: Outbox | None = None, **options: Any) -> None:
        super().__init__(sessions, **options)
        self.events = EventWriter(self, outbox)

    async def commit(self, on_released: Callable[[], None] | None = None) -> None:
        await super().commit(on_released)
        self.events.committed()
