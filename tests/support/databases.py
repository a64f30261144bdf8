"""A look into a service's database on either backend, beside the service (the migrations' tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from shared.postgres import create_postgres_engine
from shared.settings import SqliteFile, StoreLocation
from shared.sqlite import create_engine


async def on_connection(location: StoreLocation, work: Callable[[Connection], Any]) -> Any:
    """``work`` on a connection to the database, in a transaction of its own (committed)."""
    if isinstance(location, SqliteFile):
        database = create_engine(location.path)
        try:
            with database.sync_engine.begin() as connection:
                return work(connection)
        finally:
            await database.dispose()
    engine = create_postgres_engine(location)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{location.schema}"')
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


def schema_revision(connection: Connection) -> str:
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()


def stamp_newer(connection: Connection) -> None:
    """As a release with a 99th migration would leave the database."""
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
