"""The throw-away PostgreSQL of the tests (shared/devtools/local_postgres.py): Debian's binaries found or
installed, a fresh database per test, and nothing left running or on disk once a cluster is stopped."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from shared.devtools.apt import UPDATE
from shared.devtools.local_kafka.processes import pid_alive, port_accepts
from shared.devtools.local_postgres import (
    INSTALL,
    LocalPostgres,
    PostgresMissing,
    create_database,
    drop_database,
    execute,
    fetch_rows,
    postgres_binaries,
)


class FakeAptGet:
    """apt-get's exits in turn; an install that exits 0 leaves version 15's pg_ctl under ``root``."""

    def __init__(self, root: Path, exits: list[int]) -> None:
        self.root, self.exits, self.ran = root, exits, []

    def __call__(self, command: Sequence[str]) -> subprocess.CompletedProcess:
        self.ran.append(tuple(command))
        code = self.exits.pop(0)
        if code == 0 and tuple(command) == INSTALL:
            (self.root / "15" / "bin").mkdir(parents=True)
            (self.root / "15" / "bin" / "pg_ctl").touch()
        return subprocess.CompletedProcess(list(command), code, "", f"E: exit {code}")


def test_the_newest_installed_version_is_used_without_apt_get(tmp_path: Path):
    for version in ("9", "13", "16"):
        (tmp_path / version / "bin").mkdir(parents=True)
        (tmp_path / version / "bin" / "pg_ctl").touch()
    apt_get = FakeAptGet(tmp_path, [])
    assert postgres_binaries(tmp_path, apt_get) == tmp_path / "16" / "bin" and apt_get.ran == []


def test_missing_binaries_are_installed_after_reading_the_package_lists(tmp_path: Path):
    apt_get = FakeAptGet(tmp_path, [100, 0, 0])
    assert postgres_binaries(tmp_path, apt_get) == tmp_path / "15" / "bin"
    assert apt_get.ran == [INSTALL, UPDATE, INSTALL]


def test_no_binaries_after_all_fails_with_what_apt_get_did(tmp_path: Path):
    with pytest.raises(PostgresMissing, match="apt-get install -y postgresql"):
        postgres_binaries(tmp_path, FakeAptGet(tmp_path, [100, 100, 100]))


async def fetch(url: str, sql: str) -> list:
    return await fetch_rows(url, sql)

async def test_each_test_database_starts_empty_and_apart_from_the_others(postgres_server: str, postgres_url: str):
    await execute(postgres_url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")
    other = await create_database(postgres_server)
    try:
        assert make_url(other).database != make_url(postgres_url).database
        assert await fetch(other, "SELECT count(*) FROM pg_tables WHERE tablename = 'kept'") == [(0,)]
        assert await fetch(postgres_url, "SELECT n FROM kept") == [(1,)]
    finally:
        await drop_database(postgres_server, other)
    assert await fetch(postgres_server, f"SELECT 1 FROM pg_database WHERE datname = '{make_url(other).database}'") == []


async def test_a_cluster_folds_case_beyond_ascii_and_skips_fsync(postgres_url: str):
    """The stores search on lower(): Zoë must fold as Python folds her (C.UTF-8, not C)."""
    assert await fetch(postgres_url, "SELECT lower('ZOË MÜLLER'), current_setting('fsync')") == [("zoë müller", "off")]


def test_a_stopped_cluster_leaves_no_process_port_or_directory():
    cluster = LocalPostgres().start()
    pid, directory = cluster.pid, cluster.directory
    assert pid is not None and pid_alive(pid) and port_accepts(cluster.port)
    cluster.stop()
    assert not pid_alive(pid) and not port_accepts(cluster.port)
    assert directory is not None and not directory.exists()
