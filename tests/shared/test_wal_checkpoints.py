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


def recorded(database, **settings):
    """A Checkpointer whose real checkpoints are recorded as they run: (thread, mode, WAL pages)."""
    runs = []
    checkpoints = checkpointing(database, **settings)
    checkpoint = checkpoints._checkpoint

    def recording(mode):
        busy, wal, copied = checkpoint(mode)
        runs.append((threading.get_ident(), mode, wal))
        return busy, wal, copied

    checkpoints._checkpoint = recording
    return checkpoints, runs


def scripted(database, answers, **settings):
    """A Checkpointer whose checkpoints answer (busy, WAL pages, copied) from ``answers``, in order, or
    raise the exception found there instead."""
    modes = []
    answers = iter(answers)

    def answer(mode):
        modes.append(mode)
        if isinstance(result := next(answers), Exception):
            raise result
        return result

    checkpoints = checkpointing(database, **settings)
    checkpoints._checkpoint = answer
    return checkpoints, modes


def interval_over(checkpoints) -> None:
    """As if the last checkpoint had started an interval ago."""
    checkpoints._last_start = -NEVER


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


async def test_a_checkpoint_copies_the_committed_pages_on_another_thread(database, tmp_path):
    checkpoints, runs = recorded(database, every=0)
    for _ in range(20):
        await write_blob(database)
    await checkpoints.idle()
    assert runs and all(ident != threading.get_ident() for ident, _, _ in runs)
    assert {mode for _, mode, _ in runs} == {"PASSIVE"}
    await write_blob(database)  # the last one after the last checkpoint:
    await checkpoints.idle()
    assert rows_in_the_database_file(database, tmp_path) >= 20


async def test_none_runs_within_the_interval_of_the_last(database):
    checkpoints, modes = scripted(database, [], every=NEVER)
    for _ in range(5):
        await write_blob(database)
    await checkpoints.idle()
    assert modes == []


async def test_under_continuous_writes_the_wal_starts_over(database):
    """Here a passive checkpoint does not finish before the next commit, so with passive ones only the
    WAL mostly never starts over (measured: it grows with every checkpoint); a RESTART, due once it is
    200 pages long, makes it."""
    checkpoints, runs = recorded(database, every=0, restart_pages=200)

    def started_over_once_long():
        lengths = [wal for _, _, wal in runs]
        long = next((i for i, wal in enumerate(lengths) if wal >= 200), None)
        return long is not None and any(wal < lengths[long] for wal in lengths[long + 1:])

    for _ in range(200):
        await asyncio.gather(*(write_blob(database) for _ in range(20)))
        if started_over_once_long():
            break
    await checkpoints.idle()
    assert started_over_once_long(), runs
    assert "RESTART" in [mode for _, mode, _ in runs]


async def test_a_long_wal_makes_the_next_checkpoint_a_restart_at_once_and_one_that_got_its_locks_ends_it(database):
    answers = [(0, 250, 250), (1, 300, 120), (0, 320, 320), (0, 40, 40)]
    checkpoints, modes = scripted(database, answers, every=NEVER, restart_pages=200)

    async def commit(*, after_an_interval: bool = False) -> None:
        if after_an_interval:
            interval_over(checkpoints)
        await write_blob(database)
        await checkpoints.idle()

    await commit(after_an_interval=True)
    assert modes == ["PASSIVE"]  # finds 250 pages: a RESTART is due,
    await commit()
    assert modes == ["PASSIVE", "RESTART"]  # at the next commit, not an interval later; it was busy,
    await commit()
    assert modes == ["PASSIVE", "RESTART"]  # so it is tried again an interval later
    await commit(after_an_interval=True)
    assert modes == ["PASSIVE", "RESTART", "RESTART"]  # it got its locks: the WAL starts over
    await commit(after_an_interval=True)
    assert modes == ["PASSIVE", "RESTART", "RESTART", "PASSIVE"]


async def test_the_writer_begins_no_transaction_while_a_restart_runs(database, tmp_path):
    """Otherwise its next transaction would take the write lock back before the RESTART's polling for it
    got a turn, for as long as writes keep coming."""
    release = threading.Event()

    def restart_held(mode):
        release.wait(10)
        return (0, 300, 300)

    checkpoints = checkpointing(database, every=NEVER)
    checkpoints._restart_due = True
    interval_over(checkpoints)
    checkpoints._checkpoint = restart_held
    await write_blob(database)  # its COMMIT starts the RESTART
    held = asyncio.create_task(write_blob(database))
    await asyncio.sleep(0.1)
    assert not held.done()
    release.set()
    await asyncio.wait_for(held, 5)
    await checkpoints.idle()
    with sqlite3.connect(database.sync_engine.url.database) as other:
        assert other.execute("SELECT count(*) FROM blobs").fetchone()[0] == 2


async def test_a_failed_checkpoint_is_logged_and_a_later_commit_tries_again(database, caplog):
    answers = [sqlite3.OperationalError("disk I/O error"), (0, 0, 0)]
    checkpoints, calls = scripted(database, answers, every=0)
    await write_blob(database)
    await checkpoints.idle()
    await write_blob(database)
    await checkpoints.idle()
    assert calls == ["PASSIVE", "PASSIVE"]
    assert "WAL checkpoint" in caplog.text and "disk I/O error" in caplog.text
