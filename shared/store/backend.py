"""Which database a stateful service keeps its state in: the one place that picks SQLite or PostgreSQL.

A service's bootstrap asks ``open_store`` for its tables where its settings say (``StoreLocation``: its
SQLite file, or its schema of a PostgreSQL database) and gets its unit of work on that backend; its
handlers are the same on both, their plain SQL run through ``UnitOfWork.run``. On SQLite nothing changes:
the unit of work runs on the process's group-committing writer, statements inline.

The sync-status reporter and the notifier run here with UnitOfWork itself; the seat allocator with a class of its own
(repositories attached in ``open``, events written at commit), asked for as ``Store.units(its class)``: on
PostgreSQL PostgresUnitOfWork goes beneath it (``on_postgres``), so its ``open`` and its overrides keep running and
end in PostgreSQL's transaction. Its repositories' plain SQL runs in ``run`` (Repository._run): on
PostgreSQL each statement awaits the server, which sync code can only do in a greenlet.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import cast

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.postgres import PostgresUnitOfWork, create_postgres_engine, migrate_postgres_schema
from shared.settings import PostgresSchema, StoreLocation
from shared.sqlite import create_engine, session_factory, threaded_session_factory
from shared.store.clock import utc_now
from shared.store.migrations import Migrated, ServiceSchema, migrate_file
from shared.store.unit_of_work import UnitOfWork, UowT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Store:
    """A service's open database, whichever backend."""

    #: Sessions for long background work (pruning old rows), off the commands' way: on SQLite, aiosqlite's
    #: thread (shared/sqlite.threaded_session_factory); on PostgreSQL, the pool's connections.
    maintenance: async_sessionmaker[AsyncSession]
    _sessions: async_sessionmaker[AsyncSession]  # the commands' (on SQLite: bound to the group-committing writer)
    _postgres: bool
    _clock: Callable[[], datetime]
    #: What opening it did to its schema (shared/store/migrations.py): ``scimflow db upgrade`` says it.
    migrated: Migrated

    def units(self, unit_of_work: type[UowT]) -> Callable[..., UowT]:
        """Units of work of a service's own class (repositories attached in ``open``) on this database:
        ``units(cls)()`` for a command's writes, ``units(cls)(read_only=True)`` for its reads."""
        made = on_postgres(unit_of_work) if self._postgres else unit_of_work
        return partial(made, self._sessions, clock=self._clock)

    @property
    def uow(self) -> Callable[..., UnitOfWork]:
        """Plain units of work, for a service without a class of its own."""
        return self.units(UnitOfWork)


@asynccontextmanager
async def open_store(location: StoreLocation, schema: ServiceSchema, *,
                     clock: Callable[[], datetime] = utc_now,
                     then: Callable[[Connection], None] | None = None) -> AsyncIterator[Store]:
    """The service's database at ``location`` migrated to ``schema``'s newest revision (shared/store/
    migrations.py; UnknownRevision on a newer one), open until the block ends; ``then``: its own schema
    statements after them (``connection.dialect.name`` says which backend's to run)."""
    if isinstance(location, PostgresSchema):
        engine = create_postgres_engine(location)
        try:
            migrated = await migrate_postgres_schema(engine, location.schema, schema, then)
            _log_migrated(migrated)
            sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False,
                                          info={"database": location.schema})  # its name on /metrics
            yield Store(sessions, sessions, True, clock, migrated)
        finally:
            await engine.dispose()
        return
    database = create_engine(location.path)
    try:
        migrated = migrate_file(database.sync_engine, schema, then)
        _log_migrated(migrated)
        yield Store(threaded_session_factory(database), session_factory(database), False, clock, migrated)
    finally:
        await database.dispose()


def _log_migrated(migrated: Migrated) -> None:
    if migrated.changed:
        log.info("schema migrated", extra={"migration": str(migrated)})


#: Each service class with PostgresUnitOfWork beneath it, made once.
_ON_POSTGRES: dict[type[UnitOfWork], type[UnitOfWork]] = {UnitOfWork: PostgresUnitOfWork}


def on_postgres(unit_of_work: type[UowT]) -> type[UowT]:
    """A service's unit of work class with PostgresUnitOfWork beneath it: the service's methods first, each
    ending (``super()``) in PostgreSQL's transaction instead of SQLite's writer."""
    if (made := _ON_POSTGRES.get(unit_of_work)) is None:
        made = _ON_POSTGRES[unit_of_work] = type(f"Postgres{unit_of_work.__name__}",
                                                 (unit_of_work, PostgresUnitOfWork), {})
    return cast(type[UowT], made)  # a subclass of unit_of_work, made at run time
