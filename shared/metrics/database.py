"""SQLite write transactions (shared/sqlite/writer.py): how long each held the file's write lock.

From BEGIN IMMEDIATE to COMMIT or ROLLBACK, the units of work of a group commit included: while it is
open, no other process writes that file, so this is what grows when a store's writes queue.
"""

from prometheus_client import Histogram

DB_TRANSACTION_SECONDS = Histogram(
    "scimflow_db_transaction_seconds",
    "Time a write transaction held its SQLite file's write lock, by database (the file's name) and outcome.",
    ["database", "outcome"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
