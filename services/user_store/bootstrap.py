"""Composition root of the user store: its database (SQLite or PostgreSQL), unit of work, seat allocator link,
dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from functools import partial

from contracts import Reply
from contracts.seats.v1 import seats_key
from contracts.sync_status.v1 import ProvisioningOutcomes
from contracts.topics import SEATS_COMMANDS, SYNC_STATUS_COMMANDS
from services.user_store.deps import Deps
from services.user_store.handlers import HANDLERS
from services.user_store.migrations import SCHEMA
from services.user_store.outcomes import (
    OutcomeBatches,
    Report,
    ReportingDispatcher,
    unreported,
)
from services.user_store.paging import DEFAULT_BUDGET
from services.user_store.postgres_schema import create_postgres_schema
from services.user_store.seat_saga import resume_stale
from services.user_store.seat_state import SeatAsk, SeatCommand
from services.user_store.settings import UserStoreSettings
from services.user_store.tables import ProcessedMessage
from services.user_store.unit_of_work import UnitOfWork
from shared.events.relay import POLL_SECONDS, event_publisher, outboxed
from shared.messaging.dispatch import Dispatcher
from shared.messaging.kafka import KafkaBus
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import Requester, open_requester
from shared.messaging.transport import Bus, Publisher
from shared.periodic import periodically
from shared.service import DispatcherFactory
from shared.settings import StoreLocation
from shared.store import QueryBudget, journal_pruning, utc_now
from shared.store.backend import open_store

#: A seat step older than this was given up by its caller (gateway deadlines are seconds).
STALE_INTENT = timedelta(seconds=30)


@asynccontextmanager
async def bootstrap(location: StoreLocation, identity: ServiceIdentity, seats: SeatAsk, *,
                    report: Report = unreported, clock: Callable[[], datetime] = utc_now,
                    sweep_every: float = 10.0, query_budget: QueryBudget = DEFAULT_BUDGET,
                    events: Publisher | None = None,
                    relay_poll: float = POLL_SECONDS) -> AsyncIterator[Dispatcher[Deps]]:
    """``location``: the settings' ``store``; ``events``: where the relay publishes the provisioning events
    (shared/events/relay.py); None: events are off, the store writes none."""
    async with (open_store(location, SCHEMA, clock=clock, then=create_postgres_schema) as store,
                AsyncExitStack() as stack):
        uow = await stack.enter_async_context(outboxed(store.units(UnitOfWork), events, identity, clock=clock,
                                                       poll=relay_poll))
        deps = Deps(identity=identity, uow=uow, clock=clock, seats=seats, report=report, query_budget=query_budget)
        dispatcher = ReportingDispatcher(HANDLERS, deps)
        # Finish, in the background, the seat steps nobody else will (seat_saga.resume_stale).
        sweep = partial(resume_stale, deps, dispatcher, STALE_INTENT)
        await stack.enter_async_context(journal_pruning(store.maintenance, ProcessedMessage, clock))
        await stack.enter_async_context(periodically("seat intent sweep", timedelta(seconds=sweep_every), sweep))
        yield dispatcher


def seats_over(requester: Requester) -> SeatAsk:
    """Ask the seat allocator through Kafka: one tenant's seat commands share one key (contracts/seats)."""
    async def ask(command: SeatCommand, tenant_id: str, message_id: str, timeout: float) -> Reply:
        return await requester.ask(command, topic=SEATS_COMMANDS.name, key=seats_key(tenant_id),
                                   tenant_id=tenant_id, timeout=timeout, message_id=message_id)
    return ask


def outcomes_over(requester: Requester) -> Report:
    """Cast outcomes to the sync-status reporter in batches (outcomes.OutcomeBatches), on no key: the
    reporter takes any user's outcomes in any order (the newest attempt wins)."""
    async def send(batch: ProvisioningOutcomes) -> None:
        await requester.cast(batch, topic=SYNC_STATUS_COMMANDS.name, key=None)
    return OutcomeBatches(send)


@asynccontextmanager
async def on_bus(location: StoreLocation, identity: ServiceIdentity, bus: Bus, **options) -> AsyncIterator[Dispatcher[Deps]]:
    """The user store with its link to the seat allocator over ``bus``."""
    async with (open_requester(bus, instance=f"user_store.{identity.instance}", source=identity.source,
                               timeout=10.0) as requester,
                bootstrap(location, identity, seats_over(requester), report=outcomes_over(requester),
                          **options) as dispatcher):
        yield dispatcher


@asynccontextmanager
async def with_events(location: StoreLocation, identity: ServiceIdentity, bus: Bus, events_bus: Bus,
                      **options) -> AsyncIterator[Dispatcher[Deps]]:
    """on_bus, and the provisioning events published on ``scimflow.events`` through ``events_bus``'s own
    producer (a slow event stream never holds up the seat allocator's asks)."""
    async with event_publisher(events_bus) as events, on_bus(location, identity, bus, events=events,
                                                             **options) as dispatcher:
        yield dispatcher


def production(settings: UserStoreSettings) -> DispatcherFactory:
    """The dispatcher factory ``python -m services.user_store`` serves with."""
    def factory(identity: ServiceIdentity) -> AbstractAsyncContextManager[Dispatcher]:
        bus = KafkaBus.configured(settings, client_id=f"{identity.source}/seats")
        if not settings.events_enabled:
            return on_bus(settings.store, identity, bus, query_budget=settings.query_budget)
        events_bus = KafkaBus.configured(settings, client_id=f"{identity.source}/events")
        return with_events(settings.store, identity, bus, events_bus, query_budget=settings.query_budget)
    return factory
