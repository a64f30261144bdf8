"""Composition root of the user store: engine, schema, unit of work, dispatcher."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from services.user_store.database import create_engine, create_schema, session_factory
from services.user_store.handlers import HANDLERS, Deps
from services.user_store.tables import ProcessedMessage
from services.user_store.unit_of_work import UnitOfWork
from shared.messaging.dispatch import Dispatcher
from shared.messaging.ping import ServiceIdentity
from shared.store import journal_pruning


@asynccontextmanager
async def bootstrap(db_path: Path, identity: ServiceIdentity) -> AsyncIterator[Dispatcher[Deps]]:
    engine = create_engine(db_path)
    try:
        await create_schema(engine)
        sessions = session_factory(engine)
        deps = Deps(identity=identity, uow=lambda: UnitOfWork(sessions))
        async with journal_pruning(sessions, ProcessedMessage, deps.clock):
            yield Dispatcher(HANDLERS, deps)
    finally:
        await engine.dispose()
