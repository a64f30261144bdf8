"""Composition root of the seat allocator: engine, schema, unit of work, event relay, dispatcher."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from functools import partial
from pathlib import Path

from services.seat_allocator.database import (
    create_engine,
    create_schema,
    session_factory,
)
from services.seat_allocator.handlers import HANDLERS, Deps
from services.seat_allocator.settings import SeatAllocatorSettings
from services.seat_allocator.tables import ProcessedMessage
from services.seat_allocator.unit_of_work import UnitOfWork
from shared.events.relay import POLL_SECONDS, event_publisher, outboxed
from shared.messaging.dispatch import Dispatcher
from shared.messaging.kafka import KafkaBus
from shared.messaging.ping import ServiceIdentity
from shared.messaging.transport import Bus, Publisher
from shared.service import DispatcherFactory
from shared.sqlite import threaded_session_factory
from shared.store import journal_pruning, utc_now


@asynccontextmanager
async def bootstrap(db_path: Path, identity: ServiceIdentity, clock: Callable[[], datetime] = utc_now, *,
                    events: Publisher | None = None,
                    relay_poll: float = POLL_SECONDS) -> AsyncIterator[Dispatcher[Deps]]:
    """``events``: where the relay publishes the seat and subscription set events (shared/events/relay.py);
    None: events are off, the allocator writes none."""
    engine = create_engine(db_path)
    try:
        await create_schema(engine)
        units = partial(UnitOfWork, session_factory(engine), clock=clock)
        async with (outboxed(units, events, identity, clock=clock, poll=relay_poll) as uow,
                    journal_pruning(threaded_session_factory(engine), ProcessedMessage, clock)):
            yield Dispatcher(HANDLERS, Deps(identity=identity, uow=uow, clock=clock))
    finally:
        await engine.dispose()


@asynccontextmanager
async def with_events(db_path: Path, identity: ServiceIdentity, events_bus: Bus,
                      **options) -> AsyncIterator[Dispatcher[Deps]]:
    """bootstrap, with the events published on ``scimflow.events`` through ``events_bus``'s own producer."""
    async with event_publisher(events_bus) as events, bootstrap(db_path, identity, events=events,
                                                                **options) as dispatcher:
        yield dispatcher


def production(settings: SeatAllocatorSettings) -> DispatcherFactory:
    """The dispatcher factory ``python -m services.seat_allocator`` serves with."""
    def factory(identity: ServiceIdentity) -> AbstractAsyncContextManager[Dispatcher]:
        if not settings.events_enabled:
            return bootstrap(settings.db_path, identity)
        events_bus = KafkaBus.configured(settings, client_id=f"{identity.source}/events")
        return with_events(settings.db_path, identity, events_bus)
    return factory
