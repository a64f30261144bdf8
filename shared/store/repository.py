"""Queries of one kind of row in a unit of work's transaction; the journal of processed messages is one."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable
from typing import Any

import orjson
from sqlalchemy import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import ErrorCode
from shared.messaging.dispatch import CommandFailed
from shared.sqlite import PlainSql
from shared.store.unit_of_work import UnitOfWork


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


def found(row: Any, kind: str, key: str) -> Any:
    """The row, or NOT_FOUND: another tenant's row is just as unknown (no leak that it exists)."""
    if row is None:
        raise CommandFailed(ErrorCode.NOT_FOUND, f"{kind} {key!r} not found")
    return row

