"""The seat allocator's schema migrations, a revision a file in this directory (shared/store/migrations.py runs them;
the README's "Schema migrations" says how to add one)."""

from pathlib import Path

from services.seat_allocator.database import TABLES
from shared.store.migrations import ServiceSchema

SCHEMA = ServiceSchema("seat_allocator", Path(__file__).parent, models=TABLES)
