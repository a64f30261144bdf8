"""A command's transaction on PostgreSQL: UnitOfWork's contract, on a pooled connection of its own.

SQLite admits one writer at a time, so there a process's units take turns on one connection and commit in
groups (shared/sqlite/writer.py). PostgreSQL takes concurrent writers itself: each unit holds a connection
and an ordinary READ COMMITTED transaction, committed by its own ``commit``; a row two units both write is
locked by the first until it commits. Commands of one tenant are ordered by their Kafka key, so two units
of one process or of two copies rarely wait for each other. A read-only unit reads one snapshot (REPEATABLE
READ, READ ONLY), in plain SQL and through the ORM alike.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Self, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlalchemy.util.concurrency import greenlet_spawn
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.metrics.database import DB_TRANSACTION_SECONDS
from shared.postgres.plain_sql import AdaptedStatements, PostgresPlainSql
from shared.sqlite import BudgetExceeded, PlainSql
from shared.store.clock import utc_now
from shared.store.unit_of_work import QueryBudget, UnitOfWork

T = TypeVar("T")

#: The SQLSTATE of a statement cancelled, here by statement_timeout (query_canceled).
QUERY_CANCELED = "57014"


class PostgresUnitOfWork(UnitOfWork):
    """UnitOfWork on PostgreSQL (its ``sessions`` bound to an asyncpg AsyncEngine), the same contract: a
    service's own unit of work class gets it beneath itself, keeping its ``open`` and its overrides
    (shared/store/backend.on_postgres)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, read_only: bool = False,
                 clock: Callable[[], datetime] = utc_now) -> None:
        # Not UnitOfWork.__init__: that one binds to a SQLite Database and its writer.
        self._sessions = sessions
        self._read_only = read_only
        self.clock = clock
        self._engine: AsyncEngine = sessions.kw["bind"]
        #: The metrics' name of the database: the service's schema (shared/store/backend.open_store).
        self._database_name: str = sessions.kw.get("info", {}).get("database", "postgres")
        self._open_since: float | None = None  # a write transaction's BEGIN, until its end is counted
        self._connection: AsyncConnection | None = None
        self._plain: PlainSql | None = None
        self._session: AsyncSession | None = None
        self.open()

    @property
    def session(self) -> AsyncSession:
        """The ORM in this unit's transaction (it joins the connection's; only ``commit`` ends it)."""
        if self._connection is None:
            raise RuntimeError("the unit of work is not open (or already committed)")
        if self._session is None:
            self._session = self._sessions(bind=self._connection)
        return self._session

    async def __aenter__(self) -> Self:
        connection = await self._engine.connect()
        try:
            if self._read_only:
                connection = await connection.execution_options(isolation_level="REPEATABLE READ",
                                                                postgresql_readonly=True)
            await connection.begin()
            if not self._read_only:
                self._open_since = time.perf_counter()
            raw = await connection.get_raw_connection()
            self._plain = PostgresPlainSql(AdaptedStatements(raw.dbapi_connection), self._engine.dialect)
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._close()

    async def _close(self) -> None:
        """The ORM session and the connection given back (what was not committed is rolled back)."""
        if self._open_since is not None:
            self._observe("rollback")
        try:
            if self._session is not None:
                await self._session.close()
        finally:
            self._session = None
            if self._connection is not None:
                await self._connection.close()
                self._connection = None

    async def commit(self, on_released: Callable[[], None] | None = None) -> None:
        """Return once this unit's changes are committed; ``on_released`` is called then."""
        if self._read_only or self._connection is None:
            raise RuntimeError("a read-only unit of work commits nothing" if self._read_only
                               else "the unit of work is not open (or already committed)")
        if self._session is not None:
            await self._session.flush()
        await self._connection.commit()  # failing, it is closed (and counted) as rolled back by __aexit__
        self._observe("commit")
        await self._close()
        if on_released is not None:
            on_released()

    def _observe(self, outcome: str) -> None:
        """How long this write transaction was open, from BEGIN to its end (shared/metrics/database.py)."""
        if self._open_since is not None:
            DB_TRANSACTION_SECONDS.labels(self._database_name, outcome).observe(time.perf_counter() - self._open_since)
            self._open_since = None

    @asynccontextmanager
    async def budget(self, budget: QueryBudget) -> AsyncIterator[None]:
        """A read-only unit's statements in the block each run at most ``budget.timeout_ms`` (PostgreSQL's
        statement_timeout, for this transaction only), else they raise BudgetExceeded."""
        if not self._read_only or self._connection is None:
            raise RuntimeError("only an open read-only unit of work's reads are bounded")
        if budget.timeout_ms is None:
            yield
            return
        await self._connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(budget.timeout_ms)}")
        try:
            yield
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) == QUERY_CANCELED:
                raise BudgetExceeded(f"a statement timeout of {budget.timeout_ms} ms") from error
            raise
        await self._connection.exec_driver_sql("SET LOCAL statement_timeout = 0")  # the unit's other reads: unbounded

    async def sql(self) -> PlainSql:
        if self._plain is None or self._connection is None:
            raise RuntimeError("the unit of work is not open (or already committed)")
        session = self._session
        if session is not None and (session.new or session.dirty or session.deleted):
            await session.flush()
        return self._plain

    async def run(self, work: Callable[[PlainSql], T]) -> T:
        """``work`` on this transaction's PlainSql, in a greenlet: each of its statements awaits the server."""
        return await greenlet_spawn(work, await self.sql())
