"""The allocator's tables in its SQLite file (engine settings: shared/sqlite/engine.py).

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
from shared.events.tables import EventOutboxRow
from shared.sqlite import Database, create_engine, create_tables, session_factory

__all__ = ["create_engine", "create_schema", "session_factory"]

TABLES = (ProductRow, SeatRow, SeatUserRow, SubscriptionSetRow, ProcessedMessage, EventOutboxRow)


#: ``products.used`` follows the seat rows within the statement that changes them (any writer, any
#: process): an allocation reads one column instead of counting the product's seats.
USED_SEAT_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS seat_taken AFTER INSERT ON seats BEGIN
         UPDATE products SET used = used + 1 WHERE tenant_id = NEW.tenant_id AND name = NEW.product; END""",
    """CREATE TRIGGER IF NOT EXISTS seat_freed AFTER DELETE ON seats BEGIN
         UPDATE products SET used = used - 1 WHERE tenant_id = OLD.tenant_id AND name = OLD.product; END""",
)

#: Indexes a newer version replaced (create_all adds new indexes, never drops old ones).
REPLACED_INDEXES = ("ix_seats_tenant_user",)

#: At start: a file from before the column (or restored from a backup) gets the true count.
RECOUNT_USED = """UPDATE products SET used = (SELECT count(*) FROM seats
                  WHERE seats.tenant_id = products.tenant_id AND seats.product = products.name)"""


async def create_schema(engine: Database) -> None:
    await create_tables(engine, TABLES)
    with engine.sync_engine.begin() as connection:
        for statement in (*USED_SEAT_TRIGGERS, RECOUNT_USED):
            connection.exec_driver_sql(statement)
        for index in REPLACED_INDEXES:
            connection.exec_driver_sql(f'DROP INDEX IF EXISTS "{index}"')
