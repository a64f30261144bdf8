"""Composition root of the seat allocator: its database (SQLite or PostgreSQL), unit of work, event relay,
dispatcher."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

from services.seat_allocator.database import complete_schema
from services.seat_allocator.handlers import HANDLERS, Deps
from services.seat_allocator.migrations import SCHEMA
from services.seat_allocator.seat_gauges import seat_gauges
from services.seat_allocator.settings import SeatAllocatorSettings
from services.seat_allocator.tables import ProcessedMessage
from services.seat_allocator.unit_of_work import UnitOfWork
from shared.events.relay import POLL_SECONDS, event_publisher, outboxed
from shared.messaging.dispatch import Dispatcher
from shared.messaging.kafka import KafkaBus
from shared.messaging.ping import ServiceIdentity
from shared.messaging.transport import Bus, Publisher
from shared.service import DispatcherFactory
from shared.settings import StoreLocation
from shared.store import journal_pruning, utc_now
from shared.store.backend import open_store


@asynccontextmanager
async def bootstrap(location: StoreLocation, identity: ServiceIdentity, clock: Callable[[], datetime] = utc_now, *,
                    events: Publisher | None = None, relay_poll: float = POLL_SECONDS,
                    metrics_per_tenant: bool = False) -> AsyncIterator[Dispatcher[Deps]]:
    """``location``: the settings' ``store``; ``events``: where the relay publishes the seat and subscription
    set events (shared/events/relay.py); None: events are off, the allocator writes none.
    ``metrics_per_tenant``: the seat gauges by tenant too."""
    async with (open_store(location, SCHEMA, clock=clock, then=complete_schema) as store,
                outboxed(store.units(UnitOfWork), events, identity, clock=clock, poll=relay_poll) as uow,
                journal_pruning(store.maintenance, ProcessedMessage, clock),
                seat_gauges(store.maintenance, metrics_per_tenant)):
        yield Dispatcher(HANDLERS, Deps(identity=identity, uow=uow, clock=clock))


@asynccontextmanager
async def with_events(location: StoreLocation, identity: ServiceIdentity, events_bus: Bus,
                      **options) -> AsyncIterator[Dispatcher[Deps]]:
    """bootstrap, with the events published on ``scimflow.events`` through ``events_bus``'s own producer."""
    async with event_publisher(events_bus) as events, bootstrap(location, identity, events=events,
                                                                **options) as dispatcher:
        yield dispatcher


def production(settings: SeatAllocatorSettings) -> DispatcherFactory:
    """The dispatcher factory ``python -m services.seat_allocator`` serves with."""
    def factory(identity: ServiceIdentity) -> AbstractAsyncContextManager[Dispatcher]:
        if not settings.events_enabled:
            return bootstrap(settings.store, identity, metrics_per_tenant=settings.metrics_per_tenant)
        events_bus = KafkaBus.configured(settings, client_id=f"{identity.source}/events")
        return with_events(settings.store, identity, events_bus, metrics_per_tenant=settings.metrics_per_tenant)
    return factory
