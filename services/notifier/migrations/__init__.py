"""The notifier's schema migrations, a revision a file in this directory (shared/store/migrations.py runs them;
the README's "Schema migrations" says how to add one)."""

from pathlib import Path

from services.notifier.tables import InboxRow, NotificationRow, OutboxRow
from shared.store.migrations import ServiceSchema

SCHEMA = ServiceSchema("notifier", Path(__file__).parent, models=(NotificationRow, InboxRow, OutboxRow))
