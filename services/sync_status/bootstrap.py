"""Composition root of the sync-status reporter: its SQLite file, the handlers, history pruning."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from functools import partial

from services.sync_status.handlers import HANDLERS, Deps
from services.sync_status.settings import SyncStatusSettings
from services.sync_status.tables import HistoryRow, ScimCallRow, UserStatusRow
from shared.messaging.dispatch import Dispatcher
from shared.messaging.ping import ServiceIdentity
from shared.periodic import periodically
from shared.sqlite import (
    create_engine,
    create_tables,
    session_factory,
    threaded_session_factory,
)
from shared.store import UnitOfWork, delete_older, utc_now

TABLES = (UserStatusRow, HistoryRow, ScimCallRow)


@asynccontextmanager
async def bootstrap(settings: SyncStatusSettings, identity: ServiceIdentity, *,
                    clock: Callable[[], datetime] = utc_now) -> AsyncIterator[Dispatcher[Deps]]:
    engine = create_engine(settings.db_path)
    try:
        await create_tables(engine, TABLES)
        sessions = session_factory(engine)

        async def prune() -> None:
            await delete_older(threaded_session_factory(engine), HistoryRow.at, clock() - settings.history_retention)
            await delete_older(threaded_session_factory(engine), ScimCallRow.at, clock() - settings.scim_log_retention)

        async with periodically("history pruning", timedelta(hours=1), prune):
            yield Dispatcher(HANDLERS, Deps(identity=identity, uow=partial(UnitOfWork, sessions), clock=clock))
    finally:
        await engine.dispose()
