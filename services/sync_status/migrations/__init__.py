"""The sync-status reporter's schema migrations, a revision a file in this directory (shared/store/migrations.py runs them;
the README's "Schema migrations" says how to add one)."""

from pathlib import Path

from services.sync_status.tables import HistoryRow, ScimCallRow, UserStatusRow
from shared.store.migrations import ServiceSchema

SCHEMA = ServiceSchema("sync_status", Path(__file__).parent, models=(UserStatusRow, HistoryRow, ScimCallRow))
