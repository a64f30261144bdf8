"""The allocator's tables, and what its schema needs beyond them: the triggers that keep ``products.used``.

On SQLite the engine starts every transaction with BEGIN IMMEDIATE (shared/sqlite/engine.py): the file's
write lock is taken before a command's first read, so two allocator processes sharing the file run their
transactions one after the other and cannot both count the same free seat. On PostgreSQL transactions run
side by side; each seat command first takes its tenant's lock (journaled.py), to the same effect.
"""

from __future__ import annotations

from sqlalchemy import Connection

from services.seat_allocator.tables import (
    ProcessedMessage,
    ProductRow,
    SeatRow,
    SeatUserRow,
    SubscriptionSetRow,
)
from shared.events.tables import EventOutboxRow

TABLES = (ProductRow, SeatRow, SeatUserRow, SubscriptionSetRow, ProcessedMessage, EventOutboxRow)


#: ``products.used`` follows the seat rows within the statement that changes them (any writer, any
#: process): an allocation reads one column instead of counting the product's seats.
USED_SEAT_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS seat_taken AFTER INSERT ON seats BEGIN
         UPDATE products SET used = used + 1 WHERE tenant_id = NEW.tenant_id AND name = NEW.product; END""",
    """CREATE TRIGGER IF NOT EXISTS seat_freed AFTER DELETE ON seats BEGIN
         UPDATE products SET used = used - 1 WHERE tenant_id = OLD.tenant_id AND name = OLD.product; END""",
)

#: The same on PostgreSQL (a trigger calls a function there; both live in the service's schema).
POSTGRES_USED_SEAT_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION seats_counted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         IF TG_OP = 'INSERT' THEN
           UPDATE products SET used = used + 1 WHERE tenant_id = NEW.tenant_id AND name = NEW.product;
         ELSE
           UPDATE products SET used = used - 1 WHERE tenant_id = OLD.tenant_id AND name = OLD.product;
         END IF;
         RETURN NULL; END $$""",
    """CREATE OR REPLACE TRIGGER seats_counted AFTER INSERT OR DELETE ON seats
         FOR EACH ROW EXECUTE FUNCTION seats_counted()""",
)

#: Indexes a newer version replaced (create_all adds new indexes, never drops old ones).
REPLACED_INDEXES = ("ix_seats_tenant_user",)

#: At start: a file from before the column (or restored from a backup) gets the true count.
RECOUNT_USED = """UPDATE products SET used = (SELECT count(*) FROM seats
                  WHERE seats.tenant_id = products.tenant_id AND seats.product = products.name)"""


def complete_schema(connection: Connection) -> None:
    """After the tables (shared/store/backend.open_store's ``then``): the triggers, on either backend."""
    if connection.dialect.name == "postgresql":
        # No recount here: every PostgreSQL schema had the column and its trigger from the start, and
        # another copy may be allocating while this one starts (a recount would race its inserts).
        for statement in POSTGRES_USED_SEAT_TRIGGERS:
            connection.exec_driver_sql(statement)
        return
    for statement in (*USED_SEAT_TRIGGERS, RECOUNT_USED):
        connection.exec_driver_sql(statement)
    for index in REPLACED_INDEXES:
        connection.exec_driver_sql(f'DROP INDEX IF EXISTS "{index}"')
