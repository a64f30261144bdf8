"""``python -m bench --db postgres``: the flag, the run's description, the database it gets, and the PostgreSQL
processes sampled like the broker (the postmaster and its backends, summed). A real cluster, no bench run."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from bench import procstat
from bench.database import (
    DATABASE_ENV,
    POSTGRES,
    SERVER_ENV,
    BenchDatabase,
    DatabaseUnavailable,
    describe_database,
    open_database,
)
from bench.report import Report
from bench.run import describe, watch_database_server
from bench.settings import parse_args
from shared.devtools.local_postgres import connect, fetch_rows

#: A query that keeps one backend busy for a few hundred ms of CPU (CPU time, whatever the machine's load).
BUSY_QUERY = "SELECT count(*) FROM generate_series(1, 2000000) AS n WHERE n % 7 = 0"


def test_db_is_sqlite_by_default_postgres_when_asked_and_nothing_else() -> None:
    assert parse_args([]).database == "sqlite"
    assert parse_args(["--quick", "--db", "postgres"]).database == "postgres"
    with pytest.raises(SystemExit):
        parse_args(["--db", "mysql"])


def test_the_run_is_described_with_its_database(monkeypatch) -> None:
    monkeypatch.delenv(SERVER_ENV, raising=False)
    assert describe(parse_args(["--db", "postgres"]))["database"].startswith("PostgreSQL, a local cluster")
    assert describe(parse_args([]))["database"].startswith("SQLite files")
    monkeypatch.setenv(SERVER_ENV, "postgresql+asyncpg://u@db.example:5432/postgres")
    assert f"${SERVER_ENV}" in describe_database("postgres")


def test_a_database_url_in_the_environment_is_refused_rather_than_quietly_used(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SCIMFLOW_USER_STORE_DATABASE_URL", "postgresql+asyncpg://u@h/db")
    with pytest.raises(DatabaseUnavailable, match="SCIMFLOW_USER_STORE_DATABASE_URL"), open_database("sqlite", tmp_path):
        pass


def test_sqlite_gives_the_services_no_database_url(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(DATABASE_ENV, raising=False)
    with open_database("sqlite", tmp_path) as database:
        assert (database.env, database.server_pid) == ({}, None)


def test_the_bench_own_server_joins_the_sampled_processes_as_a_tree() -> None:
    report, pids = Report(command="x", settings={}, machine={}), {"kafka": 7}
    assert watch_database_server(BenchDatabase("PostgreSQL 15"), pids, report) == frozenset()
    assert (pids, report.remarks) == ({"kafka": 7}, [])
    assert watch_database_server(BenchDatabase("PostgreSQL 15", server_pid=42), pids, report) == {POSTGRES}
    assert pids == {"kafka": 7, POSTGRES: 42}
    assert "all its backends" in report.remarks[0]  # the table's reader learns what the row sums


def test_a_process_tree_counts_its_exited_children_cpu() -> None:
    """A child that burns CPU and exits: its time is the parent's reaped time, so the tree keeps it."""
    parent = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys, time; "
        "subprocess.run([sys.executable, '-c', 'sum(range(20_000_000))'], check=True); "
        "print('done', flush=True); time.sleep(30)")], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline() == "done\n"
        tree, alone = procstat.sample_tree(parent.pid), procstat.sample(parent.pid)
        assert tree is not None and alone is not None
        assert tree.cpu_seconds - alone.cpu_seconds >= 0.1  # the exited child's sum, not the parent's own
        assert tree.rss_kb > 0
    finally:
        parent.kill()
        parent.wait()
    assert procstat.sample_tree(parent.pid) is None


@pytest.mark.integration
def test_a_database_on_the_configured_server_is_fresh_and_dropped_after(monkeypatch, tmp_path,
                                                                        postgres_server) -> None:
    """open_database runs event loops of its own (the bench's main thread has none): a plain test."""
    monkeypatch.setenv(SERVER_ENV, postgres_server)
    with open_database("postgres", tmp_path) as database:
        url = database.env[DATABASE_ENV]
        assert database.server_pid is None and database.description.startswith("PostgreSQL ")
        name = url.rsplit("/", 1)[1]
        assert asyncio.run(fetch_rows(url, "SELECT current_database()")) == [(name,)]
    assert asyncio.run(fetch_rows(postgres_server, "SELECT 1 FROM pg_database WHERE datname = $1", name)) == []


@pytest.mark.integration
def test_the_bench_own_cluster_is_sampled_with_every_backend(monkeypatch, tmp_path) -> None:
    """The postmaster alone hardly works; the sample of its tree has the backends' CPU, live and exited."""
    monkeypatch.delenv(SERVER_ENV, raising=False)
    with open_database("postgres", tmp_path) as database:
        postmaster = database.server_pid
        assert postmaster is not None and "synchronous_commit=off" in database.description
        pids = {POSTGRES: postmaster, "postmaster alone": postmaster}
        before = procstat.sample_all(pids, trees={POSTGRES})
        seen_below = asyncio.run(busy_backends(database.env[DATABASE_ENV], postmaster, connections=3))
        after = procstat.sample_all(pids, trees={POSTGRES})
    assert seen_below == [True] * 3  # each backend, while connected, was found below the postmaster
    tree, alone = cpu_used(before[POSTGRES], after[POSTGRES]), cpu_used(before["postmaster alone"],
                                                                        after["postmaster alone"])
    assert tree >= 0.2 > alone  # three busy queries' CPU, their backends gone when sampled
    assert after[POSTGRES] is not None and after[POSTGRES].rss_kb > 0
    assert (tmp_path / "postgres.log").is_file()  # the server's log kept beside the services' logs


def cpu_used(before: procstat.ProcSample | None, after: procstat.ProcSample | None) -> float:
    assert before is not None and after is not None
    return after.cpu_seconds - before.cpu_seconds


async def busy_backends(url: str, postmaster: int, connections: int) -> list[bool]:
    """BUSY_QUERY on each of ``connections`` connections, one after another, each closed after (its backend
    exits): whether each backend was among the postmaster's descendants while connected."""
    seen_below = []
    for _ in range(connections):
        connection = await connect(url)
        try:
            await connection.fetchval(BUSY_QUERY)
            backend = await connection.fetchval("SELECT pg_backend_pid()")
            seen_below.append(backend in procstat.descendants(postmaster))
        finally:
            await connection.close()
    return seen_below
