"""The user store's tables in its SQLite file (engine settings: shared/sqlite/engine.py)."""

from __future__ import annotations

from services.user_store.tables import (
    GroupRow,
    MembershipRow,
    ProcessedMessage,
    SeatIntentRow,
    UserRow,
)
from shared.events.tables import EventOutboxRow
from shared.sqlite import Database, create_engine, create_tables, session_factory

__all__ = ["create_engine", "create_schema", "session_factory"]

TABLES = (UserRow, GroupRow, MembershipRow, ProcessedMessage, SeatIntentRow, EventOutboxRow)


async def create_schema(engine: Database) -> None:
    await create_tables(engine, TABLES)
