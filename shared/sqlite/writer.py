"""Group commit: a process's units of work take turns on its one write connection and commit together.

Each transaction's hold on the write lock is timed (shared/metrics/database.py): what grows when writes queue.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from shared.metrics.database import DB_TRANSACTION_SECONDS
from shared.sqlite.locking import begin_immediate_on_loop, raw_connection
from shared.sqlite.plain_sql import PlainSql

if TYPE_CHECKING:
    from shared.sqlite.engine import Database

log = logging.getLogger(__name__)


#: Units of work one transaction takes at most before it commits, even with more waiting for their turn.
GROUP_COMMIT_MAX = 32


class Writer:
    """A process's one write connection to a database: its units of work take turns on it (SQLite admits
    one writer at a time anyway, and queueing in asyncio beats its busy-wait), and commit in groups.

    Each unit runs in a SAVEPOINT of a transaction that stays open while more units wait for their
    turn or are about to start: it commits when none does (or GROUP_COMMIT_MAX units are in it), and a
    unit's ``commit`` returns only once its changes are committed, so nothing is answered before it is
    stored. A COMMIT writes every changed page to the WAL (~0.1 ms of CPU); under load several units
    share one, and an idle process commits a lone unit one loop iteration after it is done. A unit that
    fails rolls back to its savepoint only.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: Connection | None = None
        self._turn = asyncio.Lock()
        self._waiting = 0  # units waiting for their turn
        self._released: list[asyncio.Future[None]] = []  # units done in the open transaction, not committed
        self._commit_soon = False
        self._released_when_asked = 0  # units in the open transaction when the pending commit check was asked
        self._began = 0.0  # when the open transaction took the write lock (perf_counter)

    @property
    def connection(self) -> Connection:
        """The SQLAlchemy connection (an ORM session joins a unit's savepoint through it), made on first use."""
        if self._connection is None:
            self._connection = self._database.sync_engine.connect()
            raw = raw_connection(self._connection)
            raw.execute("PRAGMA wal_autocheckpoint=0")  # its commits leave that to the Checkpointer's thread
            self.sql = PlainSql(raw, self._database.sync_engine.dialect)
        return self._connection

    @property
    def _raw(self) -> sqlite3.Connection:
        return raw_connection(self.connection)

    async def enter(self) -> PlainSql:
        """Wait for this process's turn, join (or begin) the open transaction, and set a savepoint."""
        self._waiting += 1
        try:
            await self._turn.acquire()
        finally:
            self._waiting -= 1
            if not self._turn.locked():  # cancelled while waiting: the others' units must still commit
                self._settle()
        try:
            if not self._raw.in_transaction:
                await self._database.checkpoints.writes_may_begin()
                await begin_immediate_on_loop(self._raw)
                self._began = time.perf_counter()
            self._raw.execute("SAVEPOINT unit_of_work")
        except BaseException:
            self._leave()
            raise
        return self.sql

    async def commit(self, on_released: Callable[[], None] | None = None) -> None:
        """Keep the unit's changes, give the turn to the next unit, and return once they are committed.

        ``on_released`` is called once the changes are in the open transaction (every later unit of work
        of this process sees them; snapshot reads do not yet), before the commit is considered: what it
        starts at once (messaging.worker.release_key) joins the same transaction."""
        try:
            self._raw.execute("RELEASE unit_of_work")
        except BaseException:
            self.abort()
            raise
        committed = asyncio.get_running_loop().create_future()
        self._released.append(committed)
        if on_released is not None:
            on_released()
        self._leave()
        await committed

    def abort(self) -> None:
        """Undo the unit's changes (only its own) and give the turn to the next unit."""
        try:
            self._raw.execute("ROLLBACK TO unit_of_work")
            self._raw.execute("RELEASE unit_of_work")
        except sqlite3.Error as error:  # the transaction itself is broken: nothing in it can be kept
            self._end_transaction(error)
        finally:
            self._leave()

    def _leave(self) -> None:
        self._turn.release()
        self._settle()

    def _settle(self) -> None:
        """Commit unless another unit waits to join the transaction (and it is not full yet): not at once,
        but once the tasks ready to run have run, so that units of records fetched together (which start
        one after the other without ever waiting for the turn) share the commit too."""
        if len(self._released) >= GROUP_COMMIT_MAX:
            self._end_transaction()
        elif not self._commit_soon:
            self._ask_commit_if_idle()

    def _ask_commit_if_idle(self) -> None:
        self._commit_soon, self._released_when_asked = True, len(self._released)
        asyncio.get_running_loop().call_soon(self._commit_if_idle)

    def _commit_if_idle(self) -> None:
        """Commit, unless a unit has the turn or waits for it (it settles when done), or a unit joined
        since this was asked for: one more loop iteration then, for a chain of units each started by the
        one before (a key's records released one after another, messaging.worker.release_key)."""
        self._commit_soon = False
        if self._waiting or self._turn.locked():
            return
        if len(self._released) > self._released_when_asked:
            self._ask_commit_if_idle()
            return
        self._end_transaction()

    def _end_transaction(self, failure: BaseException | None = None) -> None:
        """Commit the open transaction (roll it back on ``failure``) and tell the units in it."""
        released, self._released = self._released, []
        if self._connection is not None and self._raw.in_transaction:
            try:
                if failure is None:
                    self._finish("commit")
                    self._database.checkpoints.after_commit()
            except (sqlite3.Error, SQLAlchemyError) as error:  # SQLAlchemy's wraps sqlite3's when the ORM took part
                failure = error
            if failure is not None:
                try:
                    self._finish("rollback")
                except (sqlite3.Error, SQLAlchemyError):  # the units in it hear of the failure all the same
                    log.exception("rolling back a failed transaction failed")
            outcome = "commit" if failure is None else "rollback"
            DB_TRANSACTION_SECONDS.labels(self._database.name, outcome).observe(time.perf_counter() - self._began)
        for committed in released:
            if committed.done():
                continue  # its unit was cancelled meanwhile; what it did is committed all the same
            if failure is None:
                committed.set_result(None)
            else:
                committed.set_exception(failure)

    def _finish(self, how: Literal["commit", "rollback"]) -> None:
        connection = self.connection
        if connection.in_transaction():  # an ORM session took part: SQLAlchemy knows of the transaction
            getattr(connection, how)()
        else:
            self._raw.execute(how.upper())

    def close(self) -> None:
        if self._connection is not None:
            self._end_transaction()
            self._connection.close()
            self._connection = None

