"""Composition root of the notifier: its SQLite file, the handlers, and the outbox delivery loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from services.notifier.delivery import MailSender, Outbox, SmtpSender, run_delivery
from services.notifier.handlers import HANDLERS, Deps
from services.notifier.settings import NotifierSettings
from services.notifier.tables import InboxRow, NotificationRow, OutboxRow
from shared.messaging.dispatch import Dispatcher
from shared.messaging.ping import ServiceIdentity
from shared.sqlite import create_engine, create_tables, session_factory
from shared.store import utc_now

TABLES = (NotificationRow, InboxRow, OutboxRow)


@asynccontextmanager
async def bootstrap(settings: NotifierSettings, identity: ServiceIdentity, *, sender: MailSender | None = None,
                    clock: Callable[[], datetime] = utc_now) -> AsyncIterator[Dispatcher[Deps]]:
    engine = create_engine(settings.db_path)
    stop, wake = asyncio.Event(), asyncio.Event()
    try:
        await create_tables(engine, TABLES)
        sessions = session_factory(engine)
        outbox = Outbox(sessions, sender or SmtpSender(settings), settings, clock)
        delivery = asyncio.create_task(run_delivery(outbox, stop, wake))
        try:
            yield Dispatcher(HANDLERS, Deps(identity, sessions, wake_delivery=wake.set, clock=clock))
        finally:
            stop.set()
            await delivery
    finally:
        await engine.dispose()
