"""What every service with its own database shares: the unit of work, its dependencies, lookups.

A unit of work is one command's transaction (shared/sqlite.Writer: BEGIN IMMEDIATE, commits in
groups); a service subclasses it to open its repositories (``Repository``) on it. Its hot statements
run in plain SQL (``sql()``), the rest through an ORM session made on demand; a read-only unit of work
reads a snapshot instead, without the write lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Self, TypeVar

import orjson
from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import ErrorCode
from shared.messaging.dispatch import CommandFailed
from shared.messaging.ping import ServiceIdentity
from shared.sqlite import Database, PlainSql, Snapshot, joining_session

log = logging.getLogger(__name__)

#: A redelivery comes within minutes (commands carry deadlines of seconds; an expired one is dropped
#: unanswered), so a week of journal answers every redelivery with room to spare.
JOURNAL_RETENTION = timedelta(days=7)


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """In UTC; a naive datetime is taken as UTC (SQLite hands them back naive; they were stored in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UnitOfWork:
    """One command's transaction: plain SQL (``sql()``) for the statements every command runs, an ORM
    session (``session``) made only when a rarer path asks for it.

    A write unit of work takes its turn on the process's writer (shared/sqlite.Writer: a savepoint in a
    transaction units share, committed in groups); ``commit`` returns once its changes are stored, and
    leaving without it undoes them. A read-only one reads a snapshot (shared/sqlite.Snapshot) without
    the write lock and without waiting for the process's writes; it commits nothing.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, read_only: bool = False,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._sessions = sessions
        self._read_only = read_only
        self.clock = clock  #: the service's: what its journal's times are pruned by (journal_pruning)
        self._database: Database = sessions.kw["bind"]
        self._session: AsyncSession | None = None
        self._snapshot: Snapshot | None = None
        self._writing: PlainSql | None = None  # the writer's connection, while this unit holds the turn
        self.open()

    def open(self) -> None:
        """Attach the service's repositories to this unit of work."""

    @property
    def session(self) -> AsyncSession:
        """The ORM, in this unit's transaction (a write unit's savepoint), made on first use."""
        if self._session is None:
            if self._read_only:
                self._session = self._snapshot_now().session(self._sessions)
            elif self._writing is None:
                raise RuntimeError("the unit of work is not open (or already committed)")
            else:
                self._session = joining_session(self._sessions, self._database.writer)
        return self._session

    async def __aenter__(self) -> Self:
        if not self._read_only:  # never nest write units of work: the inner one would wait for the outer
            self._writing = await self._database.writer.enter()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self._session is not None:
                await self._session.close()  # rolls back what the ORM did and did not commit
        finally:
            if self._snapshot is not None:
                self._snapshot.close()
            if self._writing is not None:
                self._writing = None
                self._database.writer.abort()

    async def commit(self, on_released: Callable[[], None] | None = None) -> None:
        """Return once this unit's changes are committed (``on_released``: see shared/sqlite.Writer.commit)."""
        if self._writing is None:
            raise RuntimeError("a read-only unit of work commits nothing" if self._read_only
                               else "the unit of work is not open (or already committed)")
        if self._session is not None:
            await self._session.commit()
            await self._session.close()
            self._session = None
        self._writing = None
        await self._database.writer.commit(on_released)

    def budget(self, steps: int | None) -> AbstractContextManager[None]:
        """A read-only unit's reads in the block take at most about ``steps`` SQLite VM steps, else they
        raise BudgetExceeded (shared/sqlite.Snapshot.budget); None: no bound."""
        if not self._read_only:
            raise RuntimeError("only a read-only unit of work's reads are bounded")
        return self._snapshot_now().budget(steps)

    async def sql(self) -> PlainSql:
        """This transaction in plain SQL (shared/sqlite.PlainSql), for the statements every command runs.
        Changes made through the ORM are flushed first, as the ORM's own queries would (autoflush)."""
        if self._read_only:
            return self._snapshot_now().sql
        if self._writing is None:
            raise RuntimeError("the unit of work is not open (or already committed)")
        session = self._session
        if session is not None and (session.new or session.dirty or session.deleted):
            await session.flush()
        return self._writing

    def _snapshot_now(self) -> Snapshot:
        """A read-only unit's one snapshot, taken at its first read (plain SQL and ORM read the same state)."""
        if self._snapshot is None:
            self._snapshot = Snapshot(self._database)
        return self._snapshot


class Repository:
    """Queries of one kind of row, in a unit of work's transaction: plain SQL for the hot statements
    (``_sql()``), the ORM (``_session``) for the rest."""

    def __init__(self, uow: UnitOfWork) -> None:
        # Through a proxy: the unit of work holds its repositories, so a plain reference back would make
        # every unit a reference cycle, freed only by the cycle collector (~5 % of a store's CPU).
        self._uow: UnitOfWork = weakref.proxy(uow)

    def _sql(self) -> Awaitable[PlainSql]:
        return self._uow.sql()

    @property
    def _session(self) -> AsyncSession:
        return self._uow.session


class Journal(Repository):
    """A service's journal of processed messages (its table: ``message_id``, the answer as JSON in
    ``answer_column``, ``processed_at``), read and written in plain SQL: every write command does both."""

    def __init__(self, uow: UnitOfWork, table: Table, answer_column: str) -> None:
        super().__init__(uow)
        self._table = table
        self._answer_column = answer_column
        self._select = f'SELECT "{answer_column}" FROM "{table.name}" WHERE message_id = ?'

    async def answer(self, message_id: str) -> Any | None:
        """The answer journaled for this message, None when it was not processed yet."""
        row = (await self._sql()).one(self._select, message_id)
        return None if row is None else orjson.loads(row[0])

    async def record(self, message_id: str, answer: Any) -> None:
        (await self._sql()).insert(self._table, {"message_id": message_id, self._answer_column: answer,
                                                     "processed_at": self._uow.clock()})


UowT = TypeVar("UowT", bound=UnitOfWork)


@dataclass(frozen=True)
class StoreDeps(Generic[UowT]):
    """A stateful service's handler dependencies, built in its bootstrap."""

    identity: ServiceIdentity
    uow: Callable[..., UowT]  # UnitOfWork(sessions, read_only=...) with the sessions and the clock bound
    clock: Callable[[], datetime] = utc_now


def found(row: Any, kind: str, key: str) -> Any:
    """The row, or NOT_FOUND: another tenant's row is just as unknown (no leak that it exists)."""
    if row is None:
        raise CommandFailed(ErrorCode.NOT_FOUND, f"{kind} {key!r} not found")
    return row


async def prune_journal(sessions: async_sessionmaker[AsyncSession], table: Any, now: datetime) -> int:
    """Forget journal entries older than any redelivery can be; returns how many."""
    return await delete_older(sessions, table.processed_at, now - JOURNAL_RETENTION)


async def delete_older(sessions: async_sessionmaker[AsyncSession], column: Any, before: datetime) -> int:
    """Delete the rows whose ``column`` (a UTC time) is before ``before``; returns how many."""
    async with sessions() as session:
        result = await session.exec(delete(column.class_).where(col(column) < before))
        await session.commit()
    return result.rowcount


@asynccontextmanager
async def periodically(what: str, every: timedelta, work: Callable[[], Awaitable[object]]) -> AsyncIterator[None]:
    """While the block runs, ``work`` runs at its start and then every ``every``; a failed round is
    logged and the next one tries again (a background task that died would silently stop)."""
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            try:
                await work()
            except Exception:
                log.exception("%s failed; the next round retries", what)
            with contextlib.suppress(TimeoutError):  # not wait_for: in 3.11 it can lose a cancel (gh-86296)
                async with asyncio.timeout(every.total_seconds()):
                    await stop.wait()

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        stop.set()
        await task


def journal_pruning(sessions: async_sessionmaker[AsyncSession], table: Any, clock: Callable[[], datetime],
                    every: timedelta = timedelta(hours=1)):
    """While the service runs, its message journal is pruned at start and then every ``every``."""
    async def prune() -> None:
        log.info("journal pruned", extra={"forgotten": await prune_journal(sessions, table, clock())})

    return periodically("journal pruning", every, prune)
