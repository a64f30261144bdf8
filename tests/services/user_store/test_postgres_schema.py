"""The user store's own PostgreSQL statements (services/user_store/postgres_schema.py): an IdP's look-up by
e-mail reads a GIN index over a few thousand users instead of every user's JSON; jsonb resources are
read and written by PlainSql as by the ORM, on both backends."""

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from user_store_support import postgres_users

from contracts.users.v1 import QueryUsers
from services.user_store.filter_sql import USER_TARGET, compile_filter
from services.user_store.migrations import SCHEMA
from services.user_store.paging import statements
from services.user_store.postgres_schema import EMAIL_INDEX, create_postgres_schema
from services.user_store.tables import UserRow
from shared.devtools.local_postgres import connect, fetch_rows
from shared.postgres import create_postgres_engine
from shared.scim.attributes import USER
from shared.scim.filter_match import matches
from shared.scim.filter_parser import parse_filter
from shared.settings import PostgresSchema, SqliteFile
from shared.sqlite import table_of
from shared.store.backend import open_store

USERS = 3_000
START = datetime(2026, 1, 1, tzinfo=UTC)


def user_row(i: int) -> dict:
    emails = [{"value": f"User{i}@Example.com", "type": "work", "primary": True},
              {"value": f"u{i}@home.example", "type": "home"}]
    return {"id": f"t1-{i:05}", "tenant_id": "t1", "user_name": f"user{i}", "user_name_key": f"user{i}",
            "external_id": f"ext-{i}", "resource": {"userName": f"user{i}", "emails": emails},
            "created": START + timedelta(seconds=i), "last_modified": START, "version": 1, "platform_active": False}


@pytest.fixture(scope="module")
def many_users(postgres_server) -> Iterator[PostgresSchema]:
    """A database with the user store's tables, its own statements, and USERS users, analyzed."""
    with postgres_users(postgres_server, [user_row(i) for i in range(USERS)]) as location:
        yield location


async def plan(location: PostgresSchema, statement) -> str:
    """PostgreSQL's plan for the statement, on a connection in the store's schema."""
    compiled = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    connection = await connect(location.url)
    try:
        await connection.execute(f'SET search_path TO "{location.schema}"')
        return "\n".join(row[0] for row in await connection.fetch(f"EXPLAIN {compiled}"))
    finally:
        await connection.close()


@pytest.mark.parametrize("filter_text", [
    'emails.value eq "USER42@example.COM"',  # Okta
    'emails[type eq "work"].value eq "user42@example.com"',  # Entra
])
async def test_a_look_up_by_e_mail_reads_the_gin_index(many_users, filter_text):
    query = QueryUsers(filter=parse_filter(filter_text, USER), start_index=1, count=100)
    count, page = statements(UserRow, USER_TARGET, USER, "t1", query)
    for statement in (count, page):
        assert EMAIL_INDEX in await plan(many_users, statement)
    engine = create_postgres_engine(many_users)
    async with AsyncSession(engine) as session:
        found = (await session.exec(select(col(UserRow.id)).where(
            compile_filter(parse_filter(filter_text, USER), USER, USER_TARGET)))).all()
    await engine.dispose()
    assert found == ["t1-00042"]


async def test_a_filter_the_index_does_not_hold_reads_every_row(many_users):
    """The index answers ``eq`` only (``co`` or ``sw`` need every value): such a filter is not pre-filtered."""
    statement = select(col(UserRow.id)).where(compile_filter(parse_filter('emails.value sw "user42@"', USER),
                                                             USER, USER_TARGET))
    assert EMAIL_INDEX not in await plan(many_users, statement)


async def test_plain_sql_reads_and_writes_the_json_resource(tmp_path, database):
    """jsonb on PostgreSQL, JSON text on SQLite: what PlainSql writes, it and the ORM read back the same."""
    location = (PostgresSchema(database["database_url"], "user_store") if database
                else SqliteFile(tmp_path / "users.sqlite3"))
    row = user_row(7) | {"resource": {"userName": "zoë", "emails": [{"value": "Zoë@x.com"}], "n": 1.5, "on": True}}
    users = table_of(UserRow)
    async with open_store(location, SCHEMA, then=create_postgres_schema) as store:
        async with store.uow() as unit:
            await unit.run(lambda sql: sql.insert(users, row))
            await unit.commit()
        async with store.uow(read_only=True) as unit:
            read = await unit.run(lambda sql: sql.select_one(users, "id = ?", row["id"]))
            by_orm = await unit.session.get(UserRow, row["id"])
    assert read.resource == by_orm.resource == row["resource"]
    assert read.created == by_orm.created == row["created"]


async def test_nothing_is_made_on_sqlite(tmp_path):
    path = tmp_path / "users.sqlite3"
    async with open_store(SqliteFile(path), SCHEMA, then=create_postgres_schema):
        pass
    with closing(sqlite3.connect(path)) as connection:
        names = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    assert "users" in names and EMAIL_INDEX not in names


async def test_resources_are_jsonb(many_users):
    rows = await fetch_rows(many_users.url, "SELECT data_type FROM information_schema.columns WHERE table_schema = $1 "
                            "AND table_name = 'users' AND column_name = 'resource'", many_users.schema)
    assert rows == [("jsonb",)]


@pytest.mark.parametrize("emails", [{"value": "Lone@X.com"}, ["Lone@X.com"], [{"value": 5}], [{"value": "lone@x.com "}],
                                    [None, {"type": "work", "value": "LONE@x.COM"}]])
async def test_the_index_never_changes_what_an_e_mail_filter_selects(many_users, emails):
    """Odd shapes too: a lone object (a list of one, as in memory), a list of strings, a number."""
    row = user_row(USERS) | {"id": "odd", "tenant_id": "t2", "resource": {"userName": "odd", "emails": emails}}
    engine = create_postgres_engine(many_users)
    try:
        async with AsyncSession(engine) as session:
            await session.exec(insert(UserRow).values(row))
            for text in ('emails.value eq "lone@x.com"', 'emails[type eq "work"].value eq "LONE@X.COM"'):
                condition = compile_filter(parse_filter(text, USER), USER, USER_TARGET)
                found = (await session.exec(select(col(UserRow.id)).where(col(UserRow.id) == "odd", condition))).all()
                assert bool(found) is matches(parse_filter(text, USER), row["resource"], USER), (text, emails)
            await session.rollback()
    finally:
        await engine.dispose()
