"""A query's work is bounded: past its budget of SQLite VM steps it is refused (400 tooMany), so one tenant's
expensive filter cannot hold up the other tenants' commands (issue 28, item 11).

The store runs its statements on the event loop's own thread (shared/sqlite/engine.py): unbounded, an 8 000-character
filter of 280 or-ed `co` terms over 10 000 users held the loop for ~0.4 s, and every other command of the
process, whichever tenant it was for, waited that long.
"""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine
from user_store_support import meta

from contracts import ErrorCode
from contracts.users.v1 import CreateUser, GetUser, QueryUsers, UserPage, UserRecord
from services.user_store.bootstrap import bootstrap
from services.user_store.database import create_engine, create_schema
from services.user_store.paging import QUERY_BUDGET_STEPS
from services.user_store.tables import UserRow
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap
from shared.scim.attributes import USER
from shared.scim.filter_parser import parse_filter
from shared.settings import SqliteFile
from shared.store import QueryBudget
from tests.support.backends import postgres_only
from tests.support.seats import direct_seats

USERS = 10_000
START = datetime(2026, 1, 1, tzinfo=UTC)


def user_rows(tenant_id: str, count: int) -> list[dict]:
    def resource(i: int) -> dict:
        return {"userName": f"user{i}@example.com", "displayName": f"User Number {i}", "active": True,
                "emails": [{"value": f"user{i}@example.com", "type": "work", "primary": True},
                           {"value": f"u{i}@home.example", "type": "home"}]}
    return [{"id": f"{tenant_id}-{i:05}", "tenant_id": tenant_id, "user_name": f"user{i}@example.com",
             "user_name_key": f"user{i}@example.com", "external_id": f"ext-{i}", "resource": resource(i),
             "created": START + timedelta(seconds=i), "last_modified": START, "version": 1}
            for i in range(count)]


def expensive_filter() -> str:
    """A legal filter under the 8 192 characters the gateway takes: or-ed `co` terms that match nobody."""
    terms: list[str] = []
    while len(" or ".join(terms)) < 7_900:
        terms.append(f'emails.value co "zz{len(terms):04}x" or displayName co "qq{len(terms):04}y"')
    return " or ".join(terms)


def query(filter_text: str | None, **options) -> QueryUsers:
    return QueryUsers(filter=parse_filter(filter_text, USER) if filter_text else None, **options)


@pytest.fixture
async def store(tmp_path, allocator):
    """The store over a tenant of 10 000 users (t1) and a small one (t2), with the default budget."""
    path = tmp_path / "users.sqlite3"
    engine = create_engine(path)
    await create_schema(engine)
    with engine.sync_engine.begin() as connection:
        connection.execute(insert(UserRow), user_rows("t1", USERS))
        connection.execute(insert(UserRow), user_rows("t2", 10))
    await engine.dispose()
    async with bootstrap(SqliteFile(path), ServiceIdentity("user_store", "t"), direct_seats(allocator)) as dispatch:
        yield dispatch


async def test_an_expensive_filter_is_refused_while_another_tenants_commands_are_answered(store):
    expensive = query(expensive_filter())
    refused, got, looked_up = await asyncio.gather(
        store(expensive, meta("t1")), store(GetUser(id="t2-00003"), meta("t2")),
        store(query('externalId eq "ext-7"'), meta("t2")))
    assert (refused.ok, refused.error.code) == (False, ErrorCode.TOO_MANY)  # 400 tooMany at the gateway
    assert refused.error.detail.startswith("The filter is too expensive to run: narrow it")
    assert unwrap(got, UserRecord).resource["userName"] == "user3@example.com"
    assert [user.id for user in unwrap(looked_up, UserPage).resources] == ["t2-00007"]


async def test_the_budget_is_what_cuts_it_and_it_is_a_fraction_of_the_query(store):
    """Unbounded, the same query is answered (nobody matches); three budgets are not enough for it either,
    so the budget spared the other commands at least two thirds of its wait."""
    expensive = query(expensive_filter())
    store.deps = replace(store.deps, query_budget=QueryBudget(steps=3 * QUERY_BUDGET_STEPS))
    assert (await store(expensive, meta("t1"))).error.code == ErrorCode.TOO_MANY
    store.deps = replace(store.deps, query_budget=QueryBudget())
    assert unwrap(await store(expensive, meta("t1")), UserPage).total_results == 0


@pytest.mark.parametrize("asked", [
    query(None, start_index=USERS - 99, count=100),  # the last page of an import
    query(None, sort_by=USER.resolve("displayName"), count=100),
    query('emails.value co "example"', count=100),
    query('displayName co "Number 9" and active eq true', count=100),
])
async def test_ordinary_queries_of_a_large_tenant_stay_within_the_budget_after_one_was_refused(store, asked):
    """A refused query leaves its connection fit for the next reads."""
    assert (await store(query(expensive_filter()), meta("t1"))).error.code == ErrorCode.TOO_MANY
    page = unwrap(await store(asked, meta("t1")), UserPage)
    assert page.total_results > 0 and page.resources


@postgres_only
async def test_on_postgresql_a_query_past_its_statement_timeout_is_refused_and_the_next_one_answers(dispatch, users_at):
    """PostgreSQL's counterpart of the budget of steps (paging.QUERY_TIMEOUT_MS): a statement that runs past
    it (here: waiting for a lock another connection holds on the users) is cancelled, 400 tooMany."""
    unwrap(await dispatch(CreateUser(resource={"userName": "ann"}), meta("t1")), UserRecord)
    dispatch.deps = replace(dispatch.deps, query_budget=QueryBudget(timeout_ms=200))
    engine = create_async_engine(users_at.url)
    try:
        async with engine.connect() as other:
            await other.execute(text(f'LOCK TABLE "{users_at.schema}".users IN ACCESS EXCLUSIVE MODE'))
            refused = await dispatch(QueryUsers(count=10), meta("t1"))
            assert (refused.ok, refused.error.code) == (False, ErrorCode.TOO_MANY)
        page = unwrap(await dispatch(QueryUsers(count=10), meta("t1")), UserPage)  # the lock let go
        assert [user.resource["userName"] for user in page.resources] == ["ann"]
    finally:
        await engine.dispose()
