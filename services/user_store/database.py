"""The user store's SQLite file as tests open it bare (engine settings: shared/sqlite/engine.py), migrated as the
service migrates it at start (migrations/; the service itself opens it through shared/store/backend.open_store)."""

from __future__ import annotations

from services.user_store.migrations import SCHEMA
from shared.sqlite import Database, create_engine, session_factory
from shared.store.migrations import migrate_file

__all__ = ["create_engine", "create_schema", "session_factory"]


async def create_schema(engine: Database) -> None:
    migrate_file(engine.sync_engine, SCHEMA)
