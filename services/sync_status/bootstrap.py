"""Composition root of the sync-status reporter: its database (SQLite or PostgreSQL), the handlers, history pruning."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from services.sync_status.handlers import HANDLERS, Deps
from services.sync_status.migrations import SCHEMA
from services.sync_status.settings import SyncStatusSettings
from services.sync_status.tables import HistoryRow, ScimCallRow
from shared.messaging.dispatch import Dispatcher
from shared.messaging.ping import ServiceIdentity
from shared.periodic import periodically
from shared.store import delete_older, utc_now
from shared.store.backend import open_store


@asynccontextmanager
async def bootstrap(settings: SyncStatusSettings, identity: ServiceIdentity, *,
                    clock: Callable[[], datetime] = utc_now) -> AsyncIterator[Dispatcher[Deps]]:
    async with open_store(settings.store, SCHEMA, clock=clock) as store:

        async def prune() -> None:
            await delete_older(store.maintenance, HistoryRow.at, clock() - settings.history_retention)
            await delete_older(store.maintenance, ScimCallRow.at, clock() - settings.scim_log_retention)

        async with periodically("history pruning", timedelta(hours=1), prune):
            yield Dispatcher(HANDLERS, Deps(identity=identity, uow=store.uow, clock=clock))
