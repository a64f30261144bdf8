"""The allocator's tables in its SQLite file (engine settings: shared/sqlite.py).

The engine starts every transaction with BEGIN IMMEDIATE: the file's write lock is taken before a
command's first read, so two allocator processes sharing the file (a rebalance hands a partition
over while the old owner finishes its batch) run their transactions one after the other and cannot
both count the same free seat.
"""

from __future__ import annotations

from services.seat_allocator.tables import (
    ProcessedMessage,
    ProductRow,
    SeatRow,
    SeatUserRow,
    SubscriptionSetRow,
)
from shared.sqlite import Database, create_engine, create_tables, session_factory

__all__ = ["create_engine", "create_schema", "session_factory"]

TABLES = (ProductRow, SeatRow, SeatUserRow, SubscriptionSetRow, ProcessedMessage)


async def create_schema(engine: Database) -> None:
    await create_tables(engine, TABLES)
