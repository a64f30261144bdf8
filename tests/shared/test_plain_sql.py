"""Plain SQL in a unit of work's transaction (shared/sqlite.PlainSql, shared/store.Journal): what it writes
reads back the same through the ORM, it shares the transaction, and the journal answers redeliveries."""

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from services.user_store.database import create_engine, create_schema, session_factory
from services.user_store.tables import ProcessedMessage, SeatIntentRow
from services.user_store.unit_of_work import UnitOfWork
from shared.sqlite import BudgetExceeded
from shared.store import Journal, QueryBudget

CREATED = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
async def sessions(tmp_path):
    engine = create_engine(tmp_path / "users.sqlite3")
    await create_schema(engine)
    yield session_factory(engine)
    await engine.dispose()


def intent(message_id: str) -> dict:
    return {"message_id": message_id, "tenant_id": "t1", "user_id": "u1", "user_name_key": "ann",
            "message_type": "users.create_user.v1", "body": {"resource": {"userName": "Ann", "n": [1, None]}},
            "created": CREATED, "steps": [{"type": "x", "body": {}}]}


async def test_a_row_inserted_in_plain_sql_reads_back_the_same_through_the_orm(sessions):
    async with UnitOfWork(sessions) as uow:
        assert (await uow.sql()).insert(SeatIntentRow.__table__, intent("m1"))
        await uow.commit()
    async with sessions() as session:
        row = (await session.exec(select(SeatIntentRow))).one()
    assert row.model_dump() == intent("m1")  # JSON and an aware datetime, as the ORM itself stores them


async def test_insert_or_ignore_reports_a_row_that_is_already_there(sessions):
    async with UnitOfWork(sessions) as uow:
        sql = await uow.sql()
        assert sql.insert(SeatIntentRow.__table__, intent("m1"), on_conflict="IGNORE")
        assert not sql.insert(SeatIntentRow.__table__, {**intent("m1"), "user_id": "u2"}, on_conflict="IGNORE")
        assert sql.all("SELECT user_id FROM seat_intents") == [("u1",)]
        with pytest.raises(sqlite3.IntegrityError):
            sql.insert(SeatIntentRow.__table__, intent("m1"))


async def test_plain_sql_is_part_of_the_unit_of_works_transaction(sessions):
    async with UnitOfWork(sessions) as uow:
        (await uow.sql()).insert(SeatIntentRow.__table__, intent("m1"))
        assert (await uow.sql()).one("SELECT count(*) FROM seat_intents") == (1,)
    # left without commit: rolled back with everything else the unit of work did
    async with UnitOfWork(sessions) as uow:
        assert (await uow.sql()).one("SELECT count(*) FROM seat_intents") == (0,)
        (await uow.sql()).insert(SeatIntentRow.__table__, intent("m2"))
        await uow.commit()
        with pytest.raises(RuntimeError, match="committed"):  # its transaction is over: nothing more in it
            await uow.sql()
    async with UnitOfWork(sessions) as uow:
        assert (await uow.sql()).all("SELECT message_id FROM seat_intents") == [("m2",)]


async def test_the_journal_returns_what_was_recorded_for_a_message_and_nothing_for_others(sessions):
    async with UnitOfWork(sessions) as uow:
        journal = Journal(uow, ProcessedMessage.__table__, "result")
        assert await journal.answer("m1") is None
        await journal.record("m1", {"id": "u1", "groups": []})
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        journal = Journal(uow, ProcessedMessage.__table__, "result")
        assert await journal.answer("m1") == {"id": "u1", "groups": []}
        assert await journal.answer("m2") is None
        entry = (await uow.session.exec(select(ProcessedMessage))).one()
        assert entry.processed_at.tzinfo is not None  # prunable by age like any ORM-written entry


async def test_values_are_stored_exactly_as_the_orm_stores_them(sessions):
    """Same text in the file, so comparisons in SQL (pruning by age, paging by created) mix both."""
    async with UnitOfWork(sessions) as uow:
        (await uow.sql()).insert(SeatIntentRow.__table__, intent("plain"))
        uow.session.add(SeatIntentRow(**intent("orm")))
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        stored = (await uow.sql()).all("SELECT message_id, body, created, steps FROM seat_intents ORDER BY message_id")
    assert stored[0][1:] == stored[1][1:]


async def test_select_reads_rows_as_the_orm_would(sessions):
    async with UnitOfWork(sessions) as uow:
        uow.session.add(SeatIntentRow(**intent("m1")))
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        rows = (await uow.sql()).select(SeatIntentRow.__table__, "tenant_id = ?", "t1")
        assert (await uow.sql()).select(SeatIntentRow.__table__, "tenant_id = ?", "t2") == []
    assert [vars(row) for row in rows] == [intent("m1")]


async def test_a_read_only_unit_of_work_reads_committed_rows_without_waiting_for_a_writer(sessions):
    async with UnitOfWork(sessions) as uow:
        (await uow.sql()).insert(SeatIntentRow.__table__, intent("m1"))
        await uow.commit()
    async with UnitOfWork(sessions) as writer:  # holds the write lock and this process's turn
        (await writer.sql()).insert(SeatIntentRow.__table__, intent("m2"))
        async with asyncio.timeout(1), UnitOfWork(sessions, read_only=True) as reader:
            seen = (await reader.sql()).all("SELECT message_id FROM seat_intents")
        await writer.commit()
    assert seen == [("m1",)]  # the committed state, not the writer's unfinished one


async def test_a_read_only_unit_of_work_keeps_nothing_and_returns_its_connection(sessions):
    database = sessions.kw["bind"]
    first = database.reader()
    database.give_back(first)
    for _ in range(20):
        async with UnitOfWork(sessions, read_only=True) as reader:
            (await reader.sql()).insert(SeatIntentRow.__table__, intent("m1"))
            with pytest.raises(RuntimeError):
                await reader.commit()
    again = database.reader()
    raw = again.connection.dbapi_connection
    assert again is first and not raw.in_transaction  # the one connection, reused, nothing left open
    assert raw.execute("SELECT lower('ÄÖ')").fetchone() == ("äö",)  # set up as every connection is
    database.give_back(again)
    async with UnitOfWork(sessions, read_only=True) as reader:
        assert (await reader.sql()).all("SELECT message_id FROM seat_intents") == []


async def test_a_read_only_unit_of_work_reads_one_committed_state_through_plain_sql_and_the_orm(sessions):
    async with UnitOfWork(sessions) as uow:
        (await uow.sql()).insert(SeatIntentRow.__table__, intent("m1"))
        await uow.commit()
    async with UnitOfWork(sessions, read_only=True) as reader:
        in_sql = (await reader.sql()).all("SELECT message_id FROM seat_intents")
        async with UnitOfWork(sessions) as writer:  # commits between the reader's two reads
            (await writer.sql()).insert(SeatIntentRow.__table__, intent("m2"))
            await writer.commit()
        in_orm = (await reader.session.exec(select(SeatIntentRow.message_id))).all()
    assert in_sql == [("m1",)] and in_orm == ["m1"]  # the ORM read in the snapshot plain SQL began
    async with UnitOfWork(sessions, read_only=True) as reader:
        assert (await reader.session.exec(select(SeatIntentRow.message_id))).all() == ["m1", "m2"]


async def test_a_read_only_orm_read_neither_waits_for_the_writer_nor_sees_its_unfinished_work(sessions):
    async with UnitOfWork(sessions) as writer:  # holds the write lock and this process's turn
        (await writer.sql()).insert(SeatIntentRow.__table__, intent("m1"))
        async with asyncio.timeout(1), UnitOfWork(sessions, read_only=True) as reader:
            seen = (await reader.session.exec(select(SeatIntentRow.message_id))).all()
        await writer.commit()
    assert seen == []


async def test_a_snapshot_whose_transaction_sqlite_already_ended_closes_and_its_connection_is_reused(sessions):
    database = sessions.kw["bind"]
    async with UnitOfWork(sessions, read_only=True) as reader:
        (await reader.sql()).run("ROLLBACK")  # as SQLite does itself after some errors
    again = database.reader()
    assert not again.connection.dbapi_connection.in_transaction
    database.give_back(again)
    async with UnitOfWork(sessions, read_only=True) as reader:
        assert (await reader.sql()).all("SELECT message_id FROM seat_intents") == []


def test_a_new_row_has_the_models_defaults_under_the_values_given():
    from services.sync_status.tables import UserStatusRow
    from shared.sqlite import new_row

    first = new_row(UserStatusRow, tenant_id="t1", user_name="Ann", status="synced")
    second = new_row(UserStatusRow, tenant_id="t1", products=["Sales"])
    assert (first.tenant_id, first.user_name, first.status) == ("t1", "Ann", "synced")
    assert first.products == [] and first.products is not new_row(UserStatusRow).products  # a fresh list each
    assert second.products == ["Sales"]
    # every field with a default, and those given; the required ones not given are left out
    assert set(vars(first)) == set(UserStatusRow.model_fields) - {"user_name_key", "last_attempt"}


COUNT_TO_A_MILLION = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) "
                      "SELECT count(*) FROM n")


async def test_reads_past_their_budget_of_steps_are_interrupted_and_the_connection_reads_on(sessions):
    """shared/sqlite.Snapshot.budget: the bound on how long one read holds up the event loop."""
    async with UnitOfWork(sessions, read_only=True) as reader:
        sql = await reader.sql()
        async with reader.budget(QueryBudget(steps=100_000_000)):
            assert sql.one(COUNT_TO_A_MILLION) == (1_000_000,)
        with pytest.raises(BudgetExceeded):
            async with reader.budget(QueryBudget(steps=1_000_000)):
                sql.one(COUNT_TO_A_MILLION)
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            async with reader.budget(QueryBudget(steps=1_000_000)):
                sql.one("SELECT * FROM nowhere")  # not the budget's: as raised
        assert sql.one(COUNT_TO_A_MILLION) == (1_000_000,)  # no bound left behind
