"""One command's transaction, and the handler dependencies that open one.

A unit of work is one command's transaction (shared/sqlite/writer.py: BEGIN IMMEDIATE, commits in
groups); a service subclasses it to open its repositories (repository.py) on it. Its hot statements
run in plain SQL (``sql()``), the rest through an ORM session made on demand; a read-only unit of work
reads a snapshot instead, without the write lock. On PostgreSQL, shared/postgres.PostgresUnitOfWork keeps
the same contract (shared/store/backend.py picks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Self, TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.messaging.ping import ServiceIdentity
from shared.sqlite import Database, PlainSql, Snapshot, joining_session
from shared.store.clock import utc_now

T = TypeVar("T")


@dataclass(frozen=True)
class QueryBudget:
    """How much a read-only unit's reads (a list or filter query) may cost, in each backend's measure: SQLite
    runs them on the process's event loop, so its VM steps bound how long every other command waits;
    PostgreSQL runs them on the server, so a statement timeout bounds the connection they hold. None: no
    bound. Past it they raise BudgetExceeded."""

    steps: int | None = None
    timeout_ms: int | None = None


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

    @asynccontextmanager
    async def budget(self, budget: QueryBudget) -> AsyncIterator[None]:
        """A read-only unit's reads in the block take at most about ``budget.steps`` SQLite VM steps, else
        they raise BudgetExceeded (shared/sqlite.Snapshot.budget)."""
        if not self._read_only:
            raise RuntimeError("only a read-only unit of work's reads are bounded")
        with self._snapshot_now().budget(budget.steps):
            yield

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

    async def run(self, work: Callable[[PlainSql], T]) -> T:
        """``work`` (plain SQL, written once for either backend) on this transaction: called inline here, in
        a greenlet on PostgreSQL (shared/postgres), where each statement awaits the server."""
        return work(await self.sql())

    def _snapshot_now(self) -> Snapshot:
        """A read-only unit's one snapshot, taken at its first read (plain SQL and ORM read the same state)."""
        if self._snapshot is None:
            self._snapshot = Snapshot(self._database)
        return self._snapshot


UowT = TypeVar("UowT", bound=UnitOfWork)


@dataclass(frozen=True)
class StoreDeps(Generic[UowT]):
    """A stateful service's handler dependencies, built in its bootstrap."""

    identity: ServiceIdentity
    uow: Callable[..., UowT]  # UnitOfWork(sessions, read_only=...) with the sessions and the clock bound
    clock: Callable[[], datetime] = utc_now

