"""Write transactions: how long each was open.

On SQLite (shared/sqlite/writer.py) from BEGIN IMMEDIATE to COMMIT or ROLLBACK, the units of work of a group
commit included: while it is open, no other process writes that file, so this is what grows when a store's
writes queue. On PostgreSQL (shared/postgres/unit_of_work.py) one unit of work's, BEGIN to its end: it grows
with lock waits (a tenant's writes taking turns) and the server's load.
"""

from prometheus_client import Histogram

DB_TRANSACTION_SECONDS = Histogram(
    "scimflow_db_transaction_seconds",
    "Time a write transaction was open, by database (SQLite: the file's name; PostgreSQL: the service's schema) "
    "and outcome.",
    ["database", "outcome"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
