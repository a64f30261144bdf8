"""What every service with its own database shares, one concern a module; the names re-exported here:

- unit_of_work.py: one command's transaction (``UnitOfWork``) and the handler dependencies (``StoreDeps``);
- repository.py: queries of one kind of row on it (``Repository``), the message journal, ``found``;
- pruning.py: old journal entries and history rows forgotten, in the background;
- clock.py: times in UTC;
- backend.py: SQLite or PostgreSQL, as the settings say (``open_store``; imported from there, so a service
  on SQLite alone never loads the PostgreSQL side); portable_sql.py: SQL functions spelt for either;
- migrations.py: each service's schema migrations (Alembic), run at ``open_store``; adoption.py: a database
  from before them brought to the first; upgrade.py: ``scimflow db upgrade``.
"""

from shared.store.clock import as_utc, utc_now
from shared.store.pruning import (
    JOURNAL_RETENTION,
    delete_older,
    journal_pruning,
    prune_journal,
)
from shared.store.repository import Journal, Repository, found
from shared.store.unit_of_work import QueryBudget, StoreDeps, UnitOfWork

__all__ = [
    "QueryBudget",
    "JOURNAL_RETENTION",
    "Journal",
    "Repository",
    "StoreDeps",
    "UnitOfWork",
    "as_utc",
    "delete_older",
    "found",
    "journal_pruning",
    "prune_journal",
    "utc_now",
]
