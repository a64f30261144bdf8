"""Which database a stateful service keeps its state in: the one place that picks SQLite or PostgreSQL.

A service's bootstrap asks ``open_store`` for its tables where its settings say (``StoreLocation``: its
SQLite file, or its schema of a PostgreSQL database) and gets its unit of work on that backend; its
handlers are the same on both, their plain SQL run through ``UnitOfWork.run``. On SQLite nothing changes:
the unit of work runs on the process's group-committing writer, statements inline.

So far the sync-status reporter runs here (its handlers use UnitOfWork itself). A service with a unit of
work class of its own (repositories attached in ``open``) comes with the class to mix PostgresUnitOfWork
into, and with its repositories' plain SQL moved into ``run`` (on PostgreSQL each statement awaits the
server, which sync code can only do in a greenlet).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.postgres import PostgresUnitOfWork, create_postgres_engine, create_postgres_tables
from shared.settings import PostgresSchema, StoreLocation
from shared.sqlite import create_engine, create_tables, session_factory, threaded_session_factory
from shared.store.clock import utc_now
from shared.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Store:
    """A service's open database, whichever backend."""

    #: A unit of work on it: ``uow()`` for a command's writes, ``uow(read_only=True)`` for its reads.
    uow: Callable[..., UnitOfWork]
    #: Sessions for long background work (pruning old rows), off the commands' way: on SQLite, aiosqlite's
    #: thread (shared/sqlite.threaded_session_factory); on PostgreSQL, the pool's connections.
    maintenance: async_sessionmaker[AsyncSession]


@asynccontextmanager
async def open_store(location: StoreLocation, tables: Sequence[type[SQLModel]], *,
                     clock: Callable[[], datetime] = utc_now) -> AsyncIterator[Store]:
    """The service's tables made (or upgraded) at ``location``, open until the block ends."""
    if isinstance(location, PostgresSchema):
        engine = create_postgres_engine(location)
        try:
            await create_postgres_tables(engine, location.schema, tables)
            sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
            yield Store(partial(PostgresUnitOfWork, sessions, clock=clock), sessions)
        finally:
            await engine.dispose()
        return
    database = create_engine(location.path)
    try:
        await create_tables(database, tables)
        yield Store(partial(UnitOfWork, session_factory(database), clock=clock), threaded_session_factory(database))
    finally:
        await database.dispose()
