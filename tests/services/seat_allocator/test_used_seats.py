"""A product's used seats: kept by triggers on the seat rows (O(1) to read), always equal to counting them."""

import sqlite3

from seat_support import allocate, meta, subscribe, used

from contracts.seats.v1 import ReleaseSeats
from services.seat_allocator.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity


def counted(path, product: str = "Sales") -> tuple[int, int]:
    """(the kept count, the seat rows counted) for ``product``, read from the file."""
    with sqlite3.connect(path) as connection:
        kept = connection.execute("SELECT used FROM products WHERE name = ?", (product,)).fetchone()[0]
        rows = connection.execute("SELECT count(*) FROM seats WHERE product = ?", (product,)).fetchone()[0]
    return kept, rows


async def test_the_kept_count_follows_every_take_and_free(dispatch, tmp_path):
    await subscribe(dispatch, "Sales", seats=10)
    await subscribe(dispatch, "Talent", seats=10)
    for user in ("u1", "u2", "u3"):
        assert (await allocate(dispatch, user, "Sales", "Talent")).ok
    assert (await allocate(dispatch, "u2", "Talent")).ok  # gives Sales back
    await dispatch(ReleaseSeats(user_id="u3"), meta())
    await dispatch(ReleaseSeats(user_id="u1", forget=True), meta())
    path = tmp_path / "seats.sqlite3"
    assert counted(path, "Sales") == (0, 0) and counted(path, "Talent") == (1, 1)
    assert await used(dispatch, "Talent") == 1


async def test_a_count_that_drifted_or_predates_the_column_is_recounted_at_start(tmp_path):
    path, identity = tmp_path / "seats.sqlite3", ServiceIdentity("seat_allocator", "t")
    async with bootstrap(path, identity) as dispatch:
        await subscribe(dispatch, "Sales", seats=10)
        for user in ("u1", "u2"):
            assert (await allocate(dispatch, user, "Sales")).ok
    with sqlite3.connect(path) as connection:  # a file written before the column and its triggers
        connection.execute("DROP TRIGGER seat_taken")
        connection.execute("DROP TRIGGER seat_freed")
        connection.execute("ALTER TABLE products DROP COLUMN used")
        connection.execute("INSERT INTO seats SELECT tenant_id, product, 'u3', taken_at FROM seats LIMIT 1")
    async with bootstrap(path, identity) as dispatch:
        assert counted(path) == (3, 3)
        assert (await allocate(dispatch, "u4", "Sales")).ok
        assert counted(path) == (4, 4) and await used(dispatch) == 4
