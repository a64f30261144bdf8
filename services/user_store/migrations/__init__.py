"""The user store's schema migrations, a revision a file in this directory (shared/store/migrations.py runs them;
the README's "Schema migrations" says how to add one)."""

from pathlib import Path

from services.user_store.tables import GroupRow, MembershipRow, ProcessedMessage, SeatIntentRow, UserRow
from shared.events.tables import EventOutboxRow
from shared.store.migrations import ServiceSchema

SCHEMA = ServiceSchema("user_store", Path(__file__).parent,
                       models=(UserRow, GroupRow, MembershipRow, ProcessedMessage, SeatIntentRow, EventOutboxRow))
