"""Users named by id in a tenant are found by the primary key, one look-up each: SQLite (no statistics)
otherwise took a tenant index and walked every user of the tenant on each group membership PATCH."""

import sqlite3

import pytest

from services.user_store.database import session_factory
from services.user_store.seat_state import SeatState
from services.user_store.unit_of_work import UnitOfWork
from shared.store import utc_now

IDS = [f"u{i}" for i in range(100)]


@pytest.fixture
def database(users_database):
    return users_database


def statements_of_users(database) -> list[tuple[str, ...]]:
    """Each statement on the users table the process's writer runs, with its parameters bound."""
    seen: list[tuple[str, ...]] = []
    raw = database.writer.connection.connection.dbapi_connection
    raw.set_trace_callback(lambda sql: seen.append(sql) if " users " in f"{sql} " else None)
    return seen


def plan(database, sql: str) -> str:
    with sqlite3.connect(database.sync_engine.url.database) as connection:
        return " ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}"))


def by_primary_key(plan_text: str) -> bool:
    return "sqlite_autoindex_users_1 (id=?)" in plan_text and "tenant_id=?" not in plan_text


async def test_the_members_a_group_patch_names_are_checked_by_primary_key(database):
    seen = statements_of_users(database)
    async with UnitOfWork(session_factory(database)) as uow:
        assert await uow.groups.existing_users("t1", IDS) == {}
    [query] = seen
    assert by_primary_key(plan(database, query))
    assert not by_primary_key(plan(database, query.replace("+tenant_id", "tenant_id")))  # why the "+"


async def test_seat_states_are_written_on_the_users_by_primary_key(database):
    seen = statements_of_users(database)
    async with UnitOfWork(session_factory(database)) as uow:
        await uow.users.record_seat_states("t1", {user_id: SeatState(True, "Sales") for user_id in IDS}, utc_now())
        await uow.commit()
    [update] = [sql for sql in seen if sql.startswith("UPDATE")]
    assert by_primary_key(plan(database, update))
