"""A service's PostgreSQL database: an asyncpg engine in the service's own schema, and its migrations run there.

Every service may share one database: each one's connections set ``search_path`` to its own schema, so its
tables (named as on SQLite, unqualified in every statement) are its own and the SQL stays the same.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.settings import PostgresSchema
from shared.store.migrations import Migrated, ServiceSchema, migrate

#: Connections kept open: a unit of work holds one for as long as it runs, and a worker runs several at once.
POOL_SIZE = 10


def create_postgres_engine(location: PostgresSchema) -> AsyncEngine:
    return create_async_engine(
        location.url, json_serializer=_dumps, json_deserializer=orjson.loads, pool_size=POOL_SIZE,
        max_overflow=POOL_SIZE,  # no pre-ping (three round trips a unit): a dropped connection fails one command
        connect_args={"server_settings": {"search_path": location.schema}})


async def migrate_postgres_schema(engine: AsyncEngine, schema: str, service: ServiceSchema,
                                  then: Callable[[Connection], None] | None = None) -> Migrated:
    """The service's schema made and migrated (shared/store/migrations.py) by one of its copies at a time: an
    advisory lock for the transaction, as copies starting together would each try to.
    ``then``: the service's own schema statements (triggers), in the same transaction and turn."""
    async with engine.begin() as connection:
        await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:schema))"), {"schema": schema})
        await connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        migrated = await connection.run_sync(migrate, service, version_schema=schema)
        if then is not None:
            await connection.run_sync(then)
        return migrated


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()
