"""The tests' recycled PostgreSQL databases (shared/devtools/recycled_databases.py), on the real server: a database
goes to the next test wiped back to how a new one is, or, when it cannot be, a new one goes instead."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from shared.devtools.local_postgres import connect, execute, fetch_rows
from shared.devtools.recycled_databases import RecycledDatabases

#: What the services do to their database: a schema each, tables, indexes, sequences, rows.
SERVICES_WORK = """
    CREATE SCHEMA seat_allocator;
    CREATE TABLE seat_allocator.seats (id serial PRIMARY KEY, tenant text NOT NULL, data jsonb);
    CREATE INDEX ix_seats_tenant ON seat_allocator.seats (tenant);
    INSERT INTO seat_allocator.seats (tenant) VALUES ('acme');
    CREATE SCHEMA "sync status";
    CREATE TABLE "sync status".outcomes (n int);
    CREATE TEMPORARY TABLE scratch (n int)"""
#: Each leaves something dropping the test's schemas does not undo.
LEFTOVERS = {
    "a table in public": "CREATE TABLE public.kept (n int)",
    "an extension": "CREATE EXTENSION pg_trgm",
    "a large object": "SELECT lo_create(0)",
    "a setting of the database": "ALTER DATABASE {database} SET work_mem = '8MB'",
    "a right on public": "GRANT CREATE ON SCHEMA public TO PUBLIC",
    "a comment changed": "COMMENT ON SCHEMA public IS 'changed'",
    "public dropped": "DROP SCHEMA public CASCADE",
    "a publication": "CREATE PUBLICATION everything FOR ALL TABLES",
}


@pytest.fixture
async def databases(postgres_server: str) -> AsyncIterator[RecycledDatabases]:
    databases = RecycledDatabases(postgres_server)
    yield databases
    await databases.close()


def name_of(url: str) -> str:
    return str(make_url(url).database)


async def made_schemas(url: str) -> list[tuple]:
    return await fetch_rows(url, "SELECT nspname FROM pg_namespace WHERE oid >= 16384")


async def test_a_database_given_back_goes_to_the_next_test_with_nothing_of_the_last(databases: RecycledDatabases):
    first = await databases.take()
    await execute(first, SERVICES_WORK)
    databases.give_back(first)
    second = await databases.take()
    assert second == first  # the same database, not a new one
    assert await made_schemas(second) == []
    assert await fetch_rows(second, "SELECT count(*) FROM pg_class WHERE oid >= 16384") == [(0,)]
    await execute(second, SERVICES_WORK)  # a service makes its schema again as on a new database


async def test_connections_left_open_are_closed_before_the_next_test_gets_it(databases: RecycledDatabases):
    url = await databases.take()
    await execute(url, SERVICES_WORK.split(";")[0])
    left_open = await connect(url)
    await left_open.execute("BEGIN; LOCK TABLE pg_class IN SHARE MODE; SELECT pg_advisory_lock(7)")  # idle in it
    databases.give_back(url)
    assert await databases.take() == url
    others = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
    assert await fetch_rows(url, others, name_of(url)) == [(0,)]
    with pytest.raises((asyncpg.InterfaceError, asyncpg.PostgresError, ConnectionError)):  # closed by the server
        await left_open.fetchval("SELECT 1")
    assert await fetch_rows(url, "SELECT pg_try_advisory_lock(7)") == [(True,)]


@pytest.mark.parametrize("leftover", LEFTOVERS.values(), ids=LEFTOVERS.keys())
async def test_a_database_holding_what_a_wipe_leaves_is_replaced_by_a_new_one(
        databases: RecycledDatabases, postgres_server: str, leftover: str):
    used = await databases.take()
    await execute(used, leftover.format(database=f'"{name_of(used)}"'))
    databases.give_back(used)
    replacement = await databases.take()
    assert replacement != used
    assert await fetch_rows(postgres_server, "SELECT 1 FROM pg_database WHERE datname = $1", name_of(used)) == []
    assert await fetch_rows(replacement, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == [(0,)]
    assert await fetch_rows(replacement, "SELECT count(*) FROM pg_class WHERE relname = 'kept'") == [(0,)]
    assert await fetch_rows(replacement, "SELECT count(*) FROM pg_namespace WHERE nspname = 'public'") == [(1,)]


async def test_a_database_its_test_dropped_is_replaced_by_a_new_one(databases: RecycledDatabases,
                                                                       postgres_server: str):
    used = await databases.take()
    await execute(postgres_server, f'DROP DATABASE "{name_of(used)}"')
    databases.give_back(used)
    replacement = await databases.take()
    assert replacement != used and await made_schemas(replacement) == []


async def test_tests_at_once_get_databases_of_their_own_and_closing_drops_them_all(postgres_server: str):
    databases = RecycledDatabases(postgres_server)
    first, second = await databases.take(), await databases.take()
    assert first != second
    databases.give_back(first)
    await databases.close()
    names = [name_of(first), name_of(second)]
    assert await fetch_rows(postgres_server, "SELECT datname FROM pg_database WHERE datname = ANY($1)", names) == []
