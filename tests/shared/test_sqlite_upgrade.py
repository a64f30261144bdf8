"""A service upgraded in place keeps its SQLite file: columns a newer version added are added (shared/sqlite/schema.py)."""

import sqlite3

from sqlmodel import select

from services.user_store.database import create_engine, create_schema, session_factory
from services.user_store.tables import UserRow

OLD_USERS = """CREATE TABLE users (id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, external_id VARCHAR,
    resource JSON NOT NULL, created DATETIME NOT NULL, last_modified DATETIME NOT NULL, version INTEGER NOT NULL,
    user_name VARCHAR NOT NULL, user_name_key VARCHAR NOT NULL)"""


async def test_an_older_table_gets_the_new_columns_and_keeps_its_rows(tmp_path):
    path = tmp_path / "users.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(OLD_USERS)
        old.execute("INSERT INTO users VALUES ('u1', 't1', NULL, '{\"userName\": \"ann\"}', '2026-01-01 00:00:00',"
                    " '2026-01-01 00:00:00', 3, 'ann', 'ann')")
    engine = create_engine(path)
    try:
        await create_schema(engine)
        await create_schema(engine)  # a second start finds nothing to add
        async with session_factory(engine)() as session:
            [row] = (await session.exec(select(UserRow))).all()
    finally:
        await engine.dispose()
    assert (row.user_name, row.version, row.platform_active, row.subscription_set) == ("ann", 3, False, None)


async def test_an_index_the_table_no_longer_declares_is_dropped_and_sqlites_own_are_kept(tmp_path):
    from services.webhooks.tables import TABLES

    path = tmp_path / "webhooks.sqlite3"
    engine = create_engine(path)
    try:
        from shared.sqlite import create_tables

        await create_tables(engine, TABLES)
        with sqlite3.connect(path) as old:  # as a version that also indexed the events' arrival time left it
            old.execute("CREATE INDEX ix_events_time ON events (received_ms)")
        await create_tables(engine, TABLES)
    finally:
        await engine.dispose()
    with sqlite3.connect(path) as upgraded:
        names = {name for (name,) in upgraded.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                      "AND tbl_name = 'events'")}
    assert "ix_events_time" not in names
    assert "ix_events_tenant" in names and any(name.startswith("sqlite_autoindex_events") for name in names)
