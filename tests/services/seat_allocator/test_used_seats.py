"""A product's used seats: kept by triggers on the seat rows (O(1) to read), always equal to counting them."""

import asyncio
import sqlite3
from contextlib import AsyncExitStack

from seat_support import allocate, meta, stored, subscribe, used

from contracts.seats.v1 import ReleaseSeats
from services.seat_allocator.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity
from shared.settings import SqliteFile, StoreLocation


async def counted(store: StoreLocation, product: str = "Sales") -> tuple[int, int]:
    """(the kept count, the seat rows counted) for ``product``, read from the database."""
    [(kept, rows)] = await stored(store, f"SELECT used, (SELECT count(*) FROM seats WHERE product = '{product}') "
                                         f"FROM products WHERE name = '{product}'")
    return kept, rows


async def test_the_kept_count_follows_every_take_and_free(dispatch, store):
    await subscribe(dispatch, "Sales", seats=10)
    await subscribe(dispatch, "Talent", seats=10)
    for user in ("u1", "u2", "u3"):
        assert (await allocate(dispatch, user, "Sales", "Talent")).ok
    assert (await allocate(dispatch, "u2", "Talent")).ok  # gives Sales back
    await dispatch(ReleaseSeats(user_id="u3"), meta())
    await dispatch(ReleaseSeats(user_id="u1", forget=True), meta())
    assert await counted(store, "Sales") == (0, 0) and await counted(store, "Talent") == (1, 1)
    assert await used(dispatch, "Talent") == 1


async def test_a_count_that_drifted_or_predates_the_column_is_recounted_at_start(tmp_path):
    """SQLite only: every PostgreSQL schema had the column and its trigger from its start (database.py)."""
    path, identity = tmp_path / "seats.sqlite3", ServiceIdentity("seat_allocator", "t")
    async with bootstrap(SqliteFile(path), identity) as dispatch:
        await subscribe(dispatch, "Sales", seats=10)
        for user in ("u1", "u2"):
            assert (await allocate(dispatch, user, "Sales")).ok
    with sqlite3.connect(path) as connection:  # a file written before the column, its triggers and migrations
        connection.execute("DROP TABLE alembic_version")
        connection.execute("DROP TRIGGER seat_taken")
        connection.execute("DROP TRIGGER seat_freed")
        connection.execute("ALTER TABLE products DROP COLUMN used")
        connection.execute("INSERT INTO seats SELECT tenant_id, product, 'u3', taken_at FROM seats LIMIT 1")
    async with bootstrap(SqliteFile(path), identity) as dispatch:
        assert await counted(SqliteFile(path)) == (3, 3)
        assert (await allocate(dispatch, "u4", "Sales")).ok
        assert await counted(SqliteFile(path)) == (4, 4) and await used(dispatch) == 4


async def test_two_copies_starting_at_once_make_the_schema_and_its_triggers_once(store, clock):
    """Copies of the allocator on several hosts start together: one makes the tables and the count's
    triggers (on PostgreSQL under the schema's lock), the other finds them; both count through them."""
    async with AsyncExitStack() as stack:
        first, second = await asyncio.gather(*(
            stack.enter_async_context(bootstrap(store, ServiceIdentity("seat_allocator", name), clock))
            for name in ("a", "b")))
        await subscribe(first, "Sales", seats=10)
        assert (await allocate(second, "u1", "Sales")).ok and (await allocate(first, "u2", "Sales")).ok
        assert await counted(store) == (2, 2) and await used(second) == 2
