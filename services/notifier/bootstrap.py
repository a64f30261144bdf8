"""Composition root of the notifier: its database (SQLite or PostgreSQL, shared/store/backend.py), the
handlers, the outbox delivery loop, and (on a bus) the notices it schedules itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

from services.notifier.delivery import MailSender, Outbox, SmtpSender, run_delivery
from services.notifier.handlers import HANDLERS, Deps
from services.notifier.migrations import SCHEMA
from services.notifier.scheduled.schedule import scheduled_notices
from services.notifier.settings import NotifierSettings
from shared.messaging.dispatch import Dispatcher
from shared.messaging.kafka import KafkaBus
from shared.messaging.ping import ServiceIdentity
from shared.messaging.transport import Bus
from shared.service import DispatcherFactory
from shared.store import utc_now
from shared.store.backend import open_store


@asynccontextmanager
async def bootstrap(settings: NotifierSettings, identity: ServiceIdentity, *, sender: MailSender | None = None,
                    clock: Callable[[], datetime] = utc_now) -> AsyncIterator[Dispatcher[Deps]]:
    """The notices other services send, kept and delivered; nothing scheduled (``with_schedule`` adds that)."""
    async with open_store(settings.store, SCHEMA, clock=clock) as store:
        stop, wake = asyncio.Event(), asyncio.Event()
        outbox = Outbox(store.uow, sender or SmtpSender(settings), settings, clock)
        delivery = asyncio.create_task(run_delivery(outbox, stop, wake))
        try:
            yield Dispatcher(HANDLERS, Deps(identity, store.uow, wake_delivery=wake.set, clock=clock))
        finally:
            stop.set()
            await delivery


@asynccontextmanager
async def with_schedule(settings: NotifierSettings, identity: ServiceIdentity, bus: Bus, *,
                        clock: Callable[[], datetime] = utc_now, **options) -> AsyncIterator[Dispatcher[Deps]]:
    """``bootstrap``, and the notices it raises itself as time passes (scheduled/), reading the tenants
    and asking other services over ``bus``."""
    async with (bootstrap(settings, identity, clock=clock, **options) as dispatcher,
                scheduled_notices(settings, identity, bus, dispatcher, clock)):
        yield dispatcher


def production(settings: NotifierSettings) -> DispatcherFactory:
    """The dispatcher factory ``python -m services.notifier`` serves with."""
    def factory(identity: ServiceIdentity) -> AbstractAsyncContextManager[Dispatcher]:
        bus = KafkaBus.configured(settings, client_id=f"{identity.source}/scheduled")
        return with_schedule(settings, identity, bus)
    return factory
