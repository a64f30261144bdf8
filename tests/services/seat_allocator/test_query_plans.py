"""Every allocation reads the user's seats: SQLite must find them by tenant and user, not walk the
tenant's seats (it did, by the primary key: the cost of an allocation grew with the tenant)."""

import sqlite3

from services.seat_allocator.database import complete_schema
from services.seat_allocator.migrations import SCHEMA
from shared.settings import SqliteFile
from shared.store.backend import open_store

USERS_SEATS = "SELECT product FROM seats WHERE tenant_id = ? AND user_id = ?"


def plan(path, sql: str) -> str:
    with sqlite3.connect(path) as connection:
        return " ".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", ("t1", "u1")))


async def schema_at(path) -> None:
    async with open_store(SqliteFile(path), SCHEMA, then=complete_schema):
        pass


async def test_a_users_seats_are_found_by_tenant_and_user(tmp_path):
    await schema_at(tmp_path / "seats.sqlite3")
    assert "(tenant_id=? AND user_id=?)" in plan(tmp_path / "seats.sqlite3", USERS_SEATS)


async def test_a_file_with_the_old_index_gets_the_new_one_in_its_place(tmp_path):
    path = tmp_path / "seats.sqlite3"
    await schema_at(path)
    with sqlite3.connect(path) as connection:  # as a release before migrations left it (no version table)
        connection.execute("DROP TABLE alembic_version")
        connection.execute("DROP INDEX ix_seats_tenant_user_product")
        connection.execute("CREATE INDEX ix_seats_tenant_user ON seats (tenant_id, user_id)")
    await schema_at(path)
    with sqlite3.connect(path) as connection:
        indexes = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                          "AND tbl_name = 'seats' AND sql IS NOT NULL")}
    assert indexes == {"ix_seats_tenant_user_product"}
    assert "(tenant_id=? AND user_id=?)" in plan(path, USERS_SEATS)
