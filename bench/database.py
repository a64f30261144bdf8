"""The database the bench's system runs on: SQLite files (the default) or PostgreSQL (``--db postgres``).

PostgreSQL is the server of ``$SCIMFLOW_TEST_DATABASE_URL`` when set (as in the tests), else a cluster of
the bench's own from Debian's binaries (shared/devtools/local_postgres.py), which the bench also samples
(the postmaster and its backends) like the broker. Either way the run gets a fresh database, dropped
after it, and every service reaches it through ``SCIMFLOW_DATABASE_URL`` (each in a schema of its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from shared.devtools.local_postgres import LocalPostgres, create_database, drop_database, fetch_rows
from shared.sqlite.engine import PRAGMAS

DATABASES = ("sqlite", "postgres")
DATABASE_ENV = "SCIMFLOW_DATABASE_URL"
#: A server the bench uses instead of starting its own: the tests' (tests/conftest.py), so one setting
#: points both at shared infrastructure.
SERVER_ENV = "SCIMFLOW_TEST_DATABASE_URL"
#: As durable as SQLite's WAL with synchronous=NORMAL (shared/sqlite/engine.py): a commit is not waited
#: on disk but is written and fsynced soon after. The tests' fsync=off would flatter PostgreSQL.
BENCH_SETTINGS = ("synchronous_commit=off",)
#: The label of the bench's own cluster in the per-process tables.
POSTGRES = "postgres"


class DatabaseUnavailable(RuntimeError):
    """No database for the run: the environment already points the services at one (which would quietly
    win over ``--db``), or the server refused the bench's."""


@dataclass(frozen=True)
class BenchDatabase:
    description: str
    #: What the services' environment gets (the database URL), on top of the bench's own.
    env: dict[str, str] = field(default_factory=dict)
    #: The postmaster of the bench's own cluster, sampled with its backends; None: not ours to sample.
    server_pid: int | None = None


def describe_database(kind: str) -> str:
    """What the run's settings say before the database is up (``open_database`` says more once it is)."""
    if kind == "sqlite":
        return f"SQLite files under the data directory ({', '.join(PRAGMAS)})"
    if os.environ.get(SERVER_ENV, "").strip():
        return f"PostgreSQL, a fresh database on ${SERVER_ENV}'s server (its processes not sampled)"
    return f"PostgreSQL, a local cluster of its own from Debian's binaries ({', '.join(BENCH_SETTINGS)})"


@contextlib.contextmanager
def open_database(kind: str, log_dir: Path) -> Iterator[BenchDatabase]:
    """The database of ``kind`` for one run; PostgreSQL's server log lands in ``log_dir`` at the end."""
    refuse_configured_databases()
    if kind == "sqlite":
        yield BenchDatabase(describe_database(kind))
    elif server := os.environ.get(SERVER_ENV, "").strip():
        with fresh_database(server) as bench_database:
            yield bench_database
    else:
        with LocalPostgres(settings=BENCH_SETTINGS) as cluster:
            try:
                with fresh_database(cluster.url, cluster.pid) as bench_database:
                    yield bench_database
            finally:
                keep_server_log(cluster, log_dir)


def refuse_configured_databases() -> None:
    configured = sorted(name for name in os.environ
                        if name.startswith("SCIMFLOW_") and name.endswith("_DATABASE_URL") and name != SERVER_ENV)
    if configured:
        raise DatabaseUnavailable(f"{', '.join(configured)} set: the bench picks the database itself (--db); "
                                  f"unset it (a server for --db postgres: ${SERVER_ENV})")


@contextlib.contextmanager
def fresh_database(server_url: str, server_pid: int | None = None) -> Iterator[BenchDatabase]:
    """A new database on the server, described with its version; dropped after the run."""
    try:
        url = asyncio.run(create_database(server_url))
    except asyncpg.PostgresError as error:
        raise DatabaseUnavailable(f"PostgreSQL refused the bench's database: {error}") from None
    try:
        version = asyncio.run(fetch_rows(url, "SHOW server_version"))[0][0]
        where = f"a local cluster of its own, {', '.join(BENCH_SETTINGS)}" if server_pid else f"${SERVER_ENV}'s server"
        yield BenchDatabase(f"PostgreSQL {version}, {where}", {DATABASE_ENV: url}, server_pid)
    finally:
        asyncio.run(drop_database(server_url, url))


def keep_server_log(cluster: LocalPostgres, log_dir: Path) -> None:
    """The cluster's directory goes when it stops: its log is copied beside the services' first."""
    if cluster.directory is not None:
        with contextlib.suppress(OSError):
            shutil.copyfile(cluster.directory / "server.log", log_dir / "postgres.log")
