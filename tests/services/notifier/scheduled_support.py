"""The notifier with its schedule running on the in-memory bus, and the notices it accepted, read back
from its own tables (the scheduled notices never cross Kafka: the notifier hands them to its own handler)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import col, select

from services.notifier.bootstrap import with_schedule
from services.notifier.settings import NotifierSettings
from services.notifier.tables import NotificationRow, OutboxRow
from shared.devtools.local_kafka import free_port
from shared.messaging.dispatch import Dispatcher
from shared.messaging.memory import InMemoryBus
from shared.messaging.ping import ServiceIdentity
from tests.support.clock import FakeClock


@asynccontextmanager
async def scheduled_notifier(bus: InMemoryBus, tmp_path: Path, clock: FakeClock, **settings) -> AsyncIterator[Dispatcher]:
    """The production composition (``with_schedule``); no mail goes out: delivery waits an hour."""
    values = {"data_dir": tmp_path, "smtp_port": free_port(), "delivery_poll_seconds": 3600, "request_timeout": 2.0}
    notifier_settings = NotifierSettings(**(values | settings))
    async with with_schedule(notifier_settings, ServiceIdentity("notifier", "test"), bus, clock=clock) as dispatcher:
        yield dispatcher


@dataclass(frozen=True)
class Accepted:
    """A notice as the notifier filed it: what it is, and the addresses its emails go to."""

    kind: str
    subject: str
    dedupe_key: str
    emails: list[str]


async def accepted(notifier: Dispatcher) -> list[Accepted]:
    """Every notice the notifier accepted, oldest first."""
    async with notifier.deps.uow(read_only=True) as uow:
        session = uow.session
        notices = (await session.exec(select(NotificationRow).order_by(col(NotificationRow.created)))).all()
        outbox = (await session.exec(select(OutboxRow))).all()
    return [Accepted(notice.kind, notice.subject, notice.dedupe_key,
                     sorted(row.email for row in outbox if row.notification_id == notice.id)) for notice in notices]
