"""Units of work of one process share transactions and commit in groups (shared/sqlite.Writer): each
unit's commit returns once its changes are stored, a failed unit undoes only its own."""

import asyncio
import sqlite3

import pytest

from services.user_store.database import create_engine, create_schema, session_factory
from services.user_store.tables import GroupRow
from services.user_store.unit_of_work import UnitOfWork
from shared.store import utc_now


@pytest.fixture
async def database(tmp_path):
    engine = create_engine(tmp_path / "users.sqlite3")
    await create_schema(engine)
    with sqlite3.connect(tmp_path / "users.sqlite3") as setup:  # a table of the test's own
        setup.execute("CREATE TABLE notes (id TEXT PRIMARY KEY, parent TEXT "
                      "REFERENCES notes (id) DEFERRABLE INITIALLY DEFERRED)")
    yield engine
    await engine.dispose()


def stored(database) -> list[str]:
    """What another connection (another process) sees: only committed notes."""
    with sqlite3.connect(database.sync_engine.url.database) as other:
        return sorted(row[0] for row in other.execute("SELECT id FROM notes"))


def committing(database) -> list[str]:
    """The COMMIT statements the process's writer runs, as they run."""
    seen: list[str] = []
    raw = database.writer.connection.connection.dbapi_connection
    raw.set_trace_callback(lambda statement: seen.append(statement) if statement == "COMMIT" else None)
    return seen


async def write_note(database, note_id: str, parent: str | None = None, *, commit: bool = True) -> None:
    async with UnitOfWork(session_factory(database)) as uow:
        (await uow.sql()).run("INSERT INTO notes (id, parent) VALUES (?, ?)", note_id, parent)
        await asyncio.sleep(0)  # as a handler would, between statements: the other units queue meanwhile
        if commit:
            await uow.commit()


async def test_a_commit_returns_once_the_change_is_stored(database):
    await write_note(database, "n1")
    assert stored(database) == ["n1"]


async def test_units_waiting_for_their_turn_share_one_commit(database):
    commits = committing(database)
    await asyncio.gather(*(write_note(database, f"n{i}") for i in range(10)))
    assert stored(database) == sorted(f"n{i}" for i in range(10))
    assert 1 <= len(commits) < 10


async def test_units_started_together_share_one_commit_without_ever_waiting_for_the_turn(database):
    """Records fetched together: each unit runs start to end without yielding, one after the other."""
    commits = committing(database)

    async def quick(note_id: str) -> None:
        async with UnitOfWork(session_factory(database)) as uow:
            (await uow.sql()).run("INSERT INTO notes (id) VALUES (?)", note_id)
            await uow.commit()

    await asyncio.gather(*(quick(f"n{i}") for i in range(5)))
    assert stored(database) == [f"n{i}" for i in range(5)]
    assert len(commits) == 1


async def test_a_chain_of_units_each_started_as_the_one_before_is_released_shares_one_commit(database):
    """The allocator serves a tenant's seat commands one by one, each started once the one before released
    its unit (on_released, messaging.worker.release_key): one COMMIT for the chain, not one per pair."""
    commits, finished = committing(database), []

    async def link(index: int) -> None:
        async with UnitOfWork(session_factory(database)) as uow:
            (await uow.sql()).run("INSERT INTO notes (id) VALUES (?)", f"n{index}")
            start_next = (lambda: asyncio.ensure_future(link(index + 1))) if index < 5 else None
            await uow.commit(on_released=start_next)
        finished.append(index)

    await link(1)
    await until_true(lambda: len(finished) == 5)
    assert stored(database) == [f"n{i}" for i in range(1, 6)] and commits == ["COMMIT"]


async def until_true(condition, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.001)


async def test_a_unit_left_without_commit_undoes_only_its_own_changes(database):
    async def failing() -> None:
        async with UnitOfWork(session_factory(database)) as uow:
            (await uow.sql()).run("INSERT INTO notes (id) VALUES ('lost')")
            await asyncio.sleep(0)
            raise ValueError("the handler failed")

    results = await asyncio.gather(write_note(database, "n1"), failing(), write_note(database, "n2"),
                                   write_note(database, "n3", commit=False), return_exceptions=True)
    assert [type(result) for result in results] == [type(None), ValueError, type(None), type(None)]
    assert stored(database) == ["n1", "n2"]


async def test_a_commit_that_fails_fails_every_unit_in_it_and_stores_none(database):
    commits = committing(database)
    # "orphan" names a parent that never comes: the deferred foreign key fails the transaction at COMMIT
    results = await asyncio.gather(write_note(database, "n1"), write_note(database, "orphan", "missing"),
                                   return_exceptions=True)
    assert len(commits) == 1  # both were in it
    assert all(isinstance(result, sqlite3.IntegrityError) for result in results)
    assert stored(database) == []
    await write_note(database, "n2")  # the writer goes on with a new transaction
    assert stored(database) == ["n2"]


async def test_a_failed_commit_of_a_transaction_the_orm_took_part_in_fails_its_units_too(database):
    """SQLAlchemy commits then, and raises its own error wrapping sqlite3's."""
    async def with_orm() -> None:
        async with UnitOfWork(session_factory(database)) as uow:
            uow.session.add(GroupRow(id="g1", tenant_id="t1", display_name="g1", display_name_key="g1",
                                     resource={}, created=utc_now(), last_modified=utc_now()))
            await asyncio.sleep(0)
            await uow.commit()

    results = await asyncio.wait_for(asyncio.gather(with_orm(), write_note(database, "orphan", "missing"),
                                                    return_exceptions=True), 5)
    assert all(isinstance(result, Exception) and "FOREIGN KEY" in str(result) for result in results)
    assert stored(database) == []
    await write_note(database, "n1")
    assert stored(database) == ["n1"]


async def test_a_unit_cancelled_while_waiting_for_its_turn_does_not_hold_up_the_others(database):
    """The hard case: cancelled just after the turn was handed to it, so the unit before it left its
    commit to it."""
    entered = asyncio.Event()

    async def first() -> None:
        async with UnitOfWork(session_factory(database)) as uow:
            (await uow.sql()).run("INSERT INTO notes (id) VALUES ('first')")
            entered.set()
            await asyncio.sleep(0.01)  # the other unit queues meanwhile
            commit = asyncio.create_task(uow.commit())
            await asyncio.sleep(0)  # commit's first step ran: the turn is the queued unit's now
            queued.cancel()
            await asyncio.wait_for(commit, 5)

    task = asyncio.create_task(first())
    await entered.wait()
    queued = asyncio.create_task(write_note(database, "cancelled"))
    await task  # committed although the unit after it never came
    assert stored(database) == ["first"]
    assert queued.cancelled()


async def test_the_orm_joins_the_units_transaction_and_is_undone_with_it(database):
    def group(group_id: str) -> GroupRow:
        return GroupRow(id=group_id, tenant_id="t1", display_name=group_id, display_name_key=group_id,
                        resource={}, created=utc_now(), last_modified=utc_now())

    async with UnitOfWork(session_factory(database)) as uow:
        uow.session.add(group("kept"))
        (await uow.sql()).run("INSERT INTO notes (id) VALUES ('with-orm')")
        await uow.commit()
    async with UnitOfWork(session_factory(database)) as uow:
        uow.session.add(group("undone"))
        assert (await uow.sql()).one("SELECT count(*) FROM groups") == (2,)  # flushed into the unit's savepoint
    await write_note(database, "after")
    with sqlite3.connect(database.sync_engine.url.database) as other:
        assert other.execute("SELECT id FROM groups").fetchall() == [("kept",)]
    assert stored(database) == ["after", "with-orm"]
