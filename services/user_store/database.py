"""The user store's tables in its SQLite file (engine settings: shared/sqlite.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from services.user_store.tables import (
    GroupRow,
    MembershipRow,
    ProcessedMessage,
    SeatIntentRow,
    UserRow,
)
from shared.sqlite import create_engine, create_tables, session_factory

__all__ = ["create_engine", "create_schema", "session_factory"]

TABLES = (UserRow, GroupRow, MembershipRow, ProcessedMessage, SeatIntentRow)


async def create_schema(engine: AsyncEngine) -> None:
    await create_tables(engine, TABLES)
