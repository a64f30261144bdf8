"""Reads on a snapshot: a connection of its own in a deferred transaction, bounded in SQLite VM steps."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.sqlite.engine import ConnectionBind
from shared.sqlite.locking import raw_connection
from shared.sqlite.plain_sql import PlainSql

if TYPE_CHECKING:
    from shared.sqlite.engine import Database


#: SQLite VM steps between two looks at a read's budget (Snapshot.budget); a look is one Python call.
BUDGET_LOOK_STEPS = 10_000


class BudgetExceeded(Exception):
    """Reads ran past their budget (shared/store.QueryBudget) and were interrupted: on SQLite its VM steps
    (Snapshot.budget), on PostgreSQL its statement timeout."""

    def __init__(self, bound: str) -> None:
        super().__init__(f"interrupted past {bound}")


class Snapshot:
    """A read on a connection of its own, in a deferred transaction: under WAL it takes no lock, never
    waits for a writer and sees one committed state, whether read in plain SQL (``sql``) or through the
    ORM (``session``), or both. Nothing it runs is kept."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection = database.reader()
        try:
            self._raw = raw_connection(self._connection)
            self._raw.execute("BEGIN")
        except BaseException:
            _discard(self._connection)
            raise
        self.sql = PlainSql(self._raw, database.sync_engine.dialect)

    def session(self, sessions: async_sessionmaker[AsyncSession]) -> AsyncSession:
        """An ORM session reading in this snapshot's transaction."""
        if not self._connection.in_transaction():
            self._connection.begin()  # SQLAlchemy learns of the deferred BEGIN (locking.begin_immediate adds none)
        return sessions(bind=ConnectionBind(self._connection))

    @contextmanager
    def budget(self, steps: int | None) -> Iterator[None]:
        """The reads in the block take at most about ``steps`` SQLite VM steps together (None: any number):
        past them SQLite interrupts the statement running (its progress handler) and BudgetExceeded is
        raised. Statements run on the event loop's thread (shared/sqlite/engine.py), so a read without
        a bound holds up every other command of the process for as long as it runs."""
        if steps is None:
            yield
            return
        looks, interrupted = 0, False

        def look() -> bool:
            nonlocal looks, interrupted
            looks += 1
            interrupted = looks * BUDGET_LOOK_STEPS > steps
            return interrupted  # true: interrupt

        self._raw.set_progress_handler(look, BUDGET_LOOK_STEPS)
        try:
            yield
        except (sqlite3.OperationalError, SQLAlchemyError) as error:
            if interrupted:
                raise BudgetExceeded(f"{steps} SQLite VM steps") from error
            raise
        finally:
            self._raw.set_progress_handler(None, 0)  # the connection serves other reads after this one

    def close(self) -> None:
        try:
            if self._connection.in_transaction():
                self._connection.rollback()
            else:
                self._raw.rollback()  # nothing to do if SQLite already ended the transaction (an error)
        except BaseException:
            _discard(self._connection)  # not reused in an unknown state
            raise
        self._database.give_back(self._connection)


def _discard(connection: Connection) -> None:
    connection.invalidate()
    connection.close()

