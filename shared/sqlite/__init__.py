"""SQLite for the services that keep state in a file: WAL, BEGIN IMMEDIATE, statements run inline.

One concern a module, the names services use re-exported here:

- engine.py: the file (``Database``), its connections' set-up, the sessions made on it (inline, or on
  aiosqlite's thread for long maintenance);
- locking.py: BEGIN IMMEDIATE, waiting for another process's write lock on the event loop;
- schema.py: ``table_of``, a model's Table;
- plain_sql.py: the mini-ORM (``PlainSql``) for the statements every command runs;
- writer.py: group commit, the units of work of a process taking turns on its one write connection;
- snapshot.py: reads without the write lock, bounded in SQLite VM steps;
- checkpoints.py: WAL checkpoints on a thread, off the event loop.
"""

from shared.sqlite.checkpoints import Checkpointer
from shared.sqlite.engine import (
    Database,
    create_engine,
    joining_session,
    session_factory,
    threaded_session_factory,
)
from shared.sqlite.plain_sql import PlainSql, new_row, placeholders
from shared.sqlite.schema import table_of
from shared.sqlite.snapshot import BudgetExceeded, Snapshot
from shared.sqlite.writer import Writer

__all__ = [
    "BudgetExceeded",
    "Checkpointer",
    "Database",
    "PlainSql",
    "Snapshot",
    "Writer",
    "create_engine",
    "joining_session",
    "new_row",
    "placeholders",
    "session_factory",
    "table_of",
    "threaded_session_factory",
]
