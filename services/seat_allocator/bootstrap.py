"""Composition root of the seat allocator: engine, schema, unit of work, dispatcher."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from pathlib import Path

from services.seat_allocator.database import (
    create_engine,
    create_schema,
    session_factory,
)
from services.seat_allocator.handlers import HANDLERS, Deps
from services.seat_allocator.tables import ProcessedMessage
from services.seat_allocator.unit_of_work import UnitOfWork
from shared.messaging.dispatch import Dispatcher
from shared.messaging.ping import ServiceIdentity
from shared.sqlite import threaded_session_factory
from shared.store import journal_pruning, utc_now


@asynccontextmanager
async def bootstrap(db_path: Path, identity: ServiceIdentity,
                    clock: Callable[[], datetime] = utc_now) -> AsyncIterator[Dispatcher[Deps]]:
    engine = create_engine(db_path)
    try:
        await create_schema(engine)
        sessions = session_factory(engine)
        async with journal_pruning(threaded_session_factory(engine), ProcessedMessage, clock):
            yield Dispatcher(HANDLERS, Deps(identity=identity, uow=partial(UnitOfWork, sessions, clock=clock),
                                            clock=clock))
    finally:
        await engine.dispose()
