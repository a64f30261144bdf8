"""Queries of one kind of row in a unit of work's transaction; the journal of processed messages is one."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import ErrorCode
from shared.messaging.dispatch import CommandFailed
from shared.sqlite import PlainSql
from shared.store.unit_of_work import UnitOfWork

T = TypeVar("T")


class Repository:
    """Queries of one kind of row, in a unit of work's transaction: plain SQL for the hot statements
    (``_run(work)``, written once for either backend), the ORM (``_session``) for the rest."""

    def __init__(self, uow: UnitOfWork) -> None:
        # Through a proxy: the unit of work holds its repositories, so a plain reference back would make
        # every unit a reference cycle, freed only by the cycle collector (~5 % of a store's CPU).
        self._uow: UnitOfWork = weakref.proxy(uow)

    def _run(self, work: Callable[[PlainSql], T]) -> Awaitable[T]:
        """``work``'s statements in the transaction (UnitOfWork.run): inline on SQLite, in a greenlet on
        PostgreSQL, where each statement awaits the server."""
        return self._uow.run(work)

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

    async def answer(self, message_id: str) -> Any | None:
        """The answer journaled for this message, None when it was not processed yet."""
        # Read as the ORM would (PlainSql.select): SQLite hands back the JSON text, asyncpg the decoded value.
        row = await self._run(lambda sql: sql.select_one(self._table, "message_id = ?", message_id))
        return None if row is None else getattr(row, self._answer_column)

    async def record(self, message_id: str, answer: Any) -> None:
        values = {"message_id": message_id, self._answer_column: answer, "processed_at": self._uow.clock()}
        await self._run(lambda sql: sql.insert(self._table, values))


def found(row: Any, kind: str, key: str) -> Any:
    """The row, or NOT_FOUND: another tenant's row is just as unknown (no leak that it exists)."""
    if row is None:
        raise CommandFailed(ErrorCode.NOT_FOUND, f"{kind} {key!r} not found")
    return row

