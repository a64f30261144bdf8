"""PostgreSQL for the services whose copies run on several hosts: the counterparts of shared/sqlite's pieces.

A service runs on it with the same repositories and handlers as on SQLite (shared/store/backend.py picks
one); one concern a module, the names re-exported here:

- engine.py: the database (an asyncpg engine whose connections live in the service's own schema), and the
  schema made and migrated on it;
- plain_sql.py: PlainSql's statements on a unit of work's connection (placeholders, ON CONFLICT);
- unit_of_work.py: a command's transaction, a connection of its own (no group commit: the server takes
  concurrent writers itself).
"""

from shared.postgres.engine import create_postgres_engine, migrate_postgres_schema
from shared.postgres.plain_sql import PostgresPlainSql
from shared.postgres.unit_of_work import PostgresUnitOfWork

__all__ = ["PostgresPlainSql", "PostgresUnitOfWork", "create_postgres_engine", "migrate_postgres_schema"]
