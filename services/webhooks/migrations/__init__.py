"""The webhooks service's schema migrations, a revision a file in this directory (shared/store/migrations.py runs them;
the README's "Schema migrations" says how to add one)."""

from pathlib import Path

from services.webhooks.tables import TABLES
from shared.store.migrations import ServiceSchema

SCHEMA = ServiceSchema("webhooks", Path(__file__).parent, models=TABLES)
