"""The WAL is checkpointed on a thread, not in the event loop's COMMITs (shared/sqlite.Checkpointer),
and under continuous writes it still starts over instead of growing for as long as they come."""

import asyncio
import os
import shutil
import sqlite3
import threading

import pytest

from services.user_store.database import create_engine, create_schema, session_factory
from services.user_store.unit_of_work import UnitOfWork
from shared.sqlite import Checkpointer

PAGE = 4096
NEVER = 10**9


@pytest.fixture
async def database(tmp_path):
    engine = create_engine(tmp_path / "users.sqlite3")
    await create_schema(engine)
    with sqlite3.connect(tmp_path / "users.sqlite3") as setup:  # a table of the test's own
        setup.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)")
        setup.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file holds the schema: the tests look at it
    yield engine
    await engine.dispose()


def checkpointing(database, **settings) -> Checkpointer:
    database.checkpoints = Checkpointer(database.sync_engine.url.database, **settings)
    return database.checkpoints


async def write_blob(database) -> None:
    """One unit of work writing about one page."""
    async with UnitOfWork(session_factory(database)) as uow:
        (await uow.sql()).run("INSERT INTO blobs (body) VALUES (?)", os.urandom(PAGE - 200))
        await uow.commit()


def wal_pages(database) -> int:
    wal = f"{database.sync_engine.url.database}-wal"
    return os.path.getsize(wal) // PAGE if os.path.exists(wal) else 0


def rows_in_the_database_file(database, tmp_path) -> int:
    """What the database file holds without its WAL: what checkpoints have copied into it."""
    copy = tmp_path / "file-only.sqlite3"
    shutil.copyfile(database.sync_engine.url.database, copy)
    with sqlite3.connect(copy) as reader:
        return reader.execute("SELECT count(*) FROM blobs").fetchone()[0]


async def test_commits_on_the_loop_never_checkpoint(database, tmp_path):
    checkpointing(database, every=NEVER)
    for _ in range(60):
        await asyncio.gather(*(write_blob(database) for _ in range(25)))
    # SQLite's own checkpoint would have run in the COMMIT past 1 000 pages and started the WAL over.
    assert wal_pages(database) > 1_500
    assert rows_in_the_database_file(database, tmp_path) == 0


async def test_a_checkpoint_copies_the_committed_pages_on_another_thread(database, tmp_path, monkeypatch):
    threads = []
    checkpoint = Checkpointer._checkpoint

    def recording(self, mode):
        threads.append((threading.get_ident(), mode))
        return checkpoint(self, mode)

    monkeypatch.setattr(Checkpointer, "_checkpoint", recording)
    checkpoints = checkpointing(database, every=0)
    for _ in range(20):
        await write_blob(database)
    await checkpoints.idle()
    assert threads and all(ident != threading.get_ident() for ident, _ in threads)
    assert {mode for _, mode in threads} == {"PASSIVE"}
    await write_blob(database)  # the last one after the last checkpoint:
    await checkpoints.idle()
    assert rows_in_the_database_file(database, tmp_path) >= 20


async def test_none_runs_within_the_interval_of_the_last(database, monkeypatch):
    modes = []
    monkeypatch.setattr(Checkpointer, "_checkpoint", lambda self, mode: modes.append(mode) or (0, 0, 0))
    checkpoints = checkpointing(database, every=NEVER)
    for _ in range(5):
        await write_blob(database)
    await checkpoints.idle()
    assert modes == []


async def test_under_continuous_writes_the_wal_starts_over(database):
    """A passive checkpoint does not finish before the next commit here, so the WAL would never start
    over and would hold everything written; a RESTART, due once it is 200 pages long, lets it."""
    results = []
    checkpoint = Checkpointer._checkpoint

    def recording(self, mode):
        busy, wal, copied = checkpoint(self, mode)
        results.append((mode, wal))
        return busy, wal, copied

    checkpoints = checkpointing(database, every=0, restart_pages=200)
    checkpoints._checkpoint = recording.__get__(checkpoints)
    for _ in range(50):
        await asyncio.gather(*(write_blob(database) for _ in range(20)))
    await checkpoints.idle()
    await write_blob(database)
    await checkpoints.idle()
    restarts = [i for i, (mode, _) in enumerate(results) if mode == "RESTART"]
    assert restarts, results
    after_it = results[restarts[0] + 1:]
    assert any(wal < results[restarts[0]][1] for _, wal in after_it), results


async def test_a_failed_checkpoint_is_logged_and_a_later_commit_tries_again(database, monkeypatch, caplog):
    calls = []

    def failing_once(self, mode):
        calls.append(mode)
        if len(calls) == 1:
            raise sqlite3.OperationalError("disk I/O error")
        return (0, 0, 0)

    monkeypatch.setattr(Checkpointer, "_checkpoint", failing_once)
    checkpoints = checkpointing(database, every=0)
    await write_blob(database)
    await checkpoints.idle()
    await write_blob(database)
    await checkpoints.idle()
    assert calls == ["PASSIVE", "PASSIVE"]
    assert "WAL checkpoint" in caplog.text and "disk I/O error" in caplog.text
