"""A tenant with 10 000 users: pages come from indexes, and an import by pages sees each user once.

RFC 7644 §3.4.2.4 paging; issue 4 "done when" 3. The plan check is SQLite's EXPLAIN QUERY PLAN: a
page or a lookup must SEARCH an index, never SCAN the users table or sort it in a temporary B-tree.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text
from user_store_support import meta

from contracts.users.v1 import QueryUsers, UserPage
from services.user_store.database import create_engine, create_schema
from services.user_store.filter_sql import USER_TARGET
from services.user_store.paging import statements
from services.user_store.tables import UserRow
from shared.messaging.requester import unwrap
from shared.scim.attributes import USER
from shared.scim.filter_parser import parse_filter

USERS = 10_000
START = datetime(2026, 1, 1, tzinfo=UTC)


def rows(tenant_id: str, count: int) -> list[dict]:
    return [{"id": f"{tenant_id}-{i:05}", "tenant_id": tenant_id, "user_name": f"user{i}@example.com",
             "user_name_key": f"user{i}@example.com", "external_id": f"ext-{i}",
             "resource": {"userName": f"user{i}@example.com", "active": True},
             "created": START + timedelta(seconds=i), "last_modified": START, "version": 1}
            for i in range(count)]


@pytest.fixture
async def engine(tmp_path):
    engine = create_engine(tmp_path / "users.sqlite3")
    await create_schema(engine)
    with engine.sync_engine.begin() as connection:
        connection.execute(insert(UserRow), rows("t1", USERS))
        connection.execute(insert(UserRow), rows("t2", 50))  # another tenant, never seen
    yield engine
    await engine.dispose()


async def plan(engine, statement) -> str:
    compiled = statement.compile(engine.sync_engine, compile_kwargs={"literal_binds": True})
    with engine.sync_engine.connect() as connection:
        return " | ".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


@pytest.mark.parametrize(("filter_text", "searched"), [
    (None, "ix_users_tenant_order (tenant_id=?)"),  # in page order: no sort, the offset walks the index
    ('userName eq "USER42@example.com"', "(tenant_id=? AND user_name_key=?)"),  # the unique constraint
    ('externalId eq "ext-42"', "ix_users_tenant_external_id (tenant_id=? AND external_id=?)"),
    ('id eq "t1-00042"', "(id=?)"),
])
async def test_pages_and_lookups_search_an_index(engine, filter_text, searched):
    query = QueryUsers(filter=parse_filter(filter_text, USER) if filter_text else None, start_index=9001, count=100)
    count, page = statements(UserRow, USER_TARGET, USER, "t1", query)
    counted, paged = await plan(engine, count), await plan(engine, page)
    assert "SCAN" not in counted and "SEARCH users USING" in counted, counted  # an index, rows unread
    assert "SCAN" not in paged and searched in paged, paged
    if filter_text is None:
        assert "TEMP B-TREE" not in paged


async def test_import_by_pages_of_100_sees_every_user_exactly_once(engine, tmp_path, allocator):
    await engine.dispose()  # the store opens the same file through its own bootstrap
    from services.user_store.bootstrap import bootstrap
    from shared.messaging.ping import ServiceIdentity
    from shared.settings import SqliteFile
    from tests.support.seats import direct_seats

    async with bootstrap(SqliteFile(tmp_path / "users.sqlite3"), ServiceIdentity("user_store", "t"),
                         direct_seats(allocator)) as dispatch:
        seen, start = [], 1
        while True:
            page = unwrap(await dispatch(QueryUsers(start_index=start, count=100), meta("t1")), UserPage)
            seen += [record.id for record in page.resources]
            if start + len(page.resources) > page.total_results or not page.resources:
                break
            start += len(page.resources)
    assert len(seen) == len(set(seen)) == USERS
    assert page.total_results == USERS
