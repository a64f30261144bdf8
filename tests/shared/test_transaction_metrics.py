"""Each write transaction of a process's SQLite writer is timed once, by database and outcome
(shared/metrics/database.py): a group commit is one transaction, however many units it carries."""

import asyncio
import sqlite3

import pytest
from prometheus_client import REGISTRY

from services.user_store.database import create_engine, create_schema, session_factory
from services.user_store.migrations import SCHEMA
from services.user_store.unit_of_work import UnitOfWork
from shared.settings import PostgresSchema
from shared.store.backend import open_store


@pytest.fixture
async def database(tmp_path):
    engine = create_engine(tmp_path / "users.sqlite3")
    await create_schema(engine)
    with sqlite3.connect(tmp_path / "users.sqlite3") as setup:
        setup.execute("CREATE TABLE notes (id TEXT PRIMARY KEY, parent TEXT "
                      "REFERENCES notes (id) DEFERRABLE INITIALLY DEFERRED)")
    yield engine
    await engine.dispose()


def transactions(outcome: str) -> float:
    labels = {"database": "users", "outcome": outcome}
    return REGISTRY.get_sample_value("scimflow_db_transaction_seconds_count", labels) or 0.0


def committing(database) -> list[str]:
    """The COMMIT statements the writer runs, as they run."""
    seen: list[str] = []
    raw = database.writer.connection.connection.dbapi_connection
    raw.set_trace_callback(lambda statement: seen.append(statement) if statement == "COMMIT" else None)
    return seen


async def write_note(database, note_id: str, parent: str | None = None) -> None:
    async with UnitOfWork(session_factory(database)) as uow:
        (await uow.sql()).run("INSERT INTO notes (id, parent) VALUES (?, ?)", note_id, parent)
        await asyncio.sleep(0)  # as a handler would: the other units queue meanwhile
        await uow.commit()


async def test_one_observation_per_commit_not_per_unit(database):
    before = transactions("commit")
    commits = committing(database)
    await write_note(database, "alone")
    await asyncio.gather(*(write_note(database, f"n{i}") for i in range(10)))
    assert len(commits) < 11  # the ten shared commits: fewer observations than units
    assert transactions("commit") == before + len(commits)


async def test_a_commit_that_fails_counts_as_a_rollback(database):
    """A deferred foreign key is checked at COMMIT: that one fails, and the transaction is rolled back."""
    rollbacks_before, commits_before = transactions("rollback"), transactions("commit")
    with pytest.raises(sqlite3.IntegrityError):
        await write_note(database, "orphan", parent="nobody")
    assert transactions("rollback") == rollbacks_before + 1
    assert transactions("commit") == commits_before


async def test_on_postgres_each_write_unit_is_one_observation_under_its_schemas_name(postgres_url):
    """shared/postgres/unit_of_work.py: committed, or left without a commit (rolled back); reads are not counted."""
    def count(outcome: str) -> float:
        labels = {"database": "user_store", "outcome": outcome}
        return REGISTRY.get_sample_value("scimflow_db_transaction_seconds_count", labels) or 0.0

    async with open_store(PostgresSchema(postgres_url, schema="user_store"), SCHEMA) as store:
        units = store.units(UnitOfWork)
        commits, rollbacks = count("commit"), count("rollback")
        async with units() as uow:
            await uow.journal.record("m-1", {"ok": True})
            await uow.commit()
        async with units() as uow:
            await uow.journal.record("m-2", {"ok": True})  # left without a commit
        async with units(read_only=True) as uow:
            assert await uow.journal.answer("m-1") == {"ok": True} and await uow.journal.answer("m-2") is None
    assert (count("commit"), count("rollback")) == (commits + 1, rollbacks + 1)
