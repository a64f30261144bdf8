"""A throw-away PostgreSQL cluster for tests, run from Debian's own binaries, the way local_kafka runs a broker.

No Docker and no shared server on these machines: ``initdb`` makes a cluster in a temporary directory,
``pg_ctl`` starts it on a free port (the parallel test workers' port slices apply) and stops it with
``-m immediate`` (nothing in it is worth a checkpoint), and the directory goes with it. The binaries are
Debian's ``postgresql`` package, installed with apt-get where missing (as chromium.py installs Chromium).

``initdb`` and ``pg_ctl`` refuse to run as root, and the tests here run as root: as root they run as the
``postgres`` user, in a directory of its own under the system's temporary directory (a pytest temporary
directory is root's alone, which that user cannot enter). The cluster trusts connections on 127.0.0.1 and
its unix socket only, and skips fsync: a crash loses a test's data, nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from shared.devtools.apt import Run, apt_install, install_step
from shared.devtools.local_kafka.processes import HOST, free_port, pid_alive, tail_file

DEBIAN_BINARIES = Path("/usr/lib/postgresql")
INSTALL = install_step("postgresql")
#: The user that owns the cluster when the tests run as root.
SERVICE_USER = "postgres"
#: Settings for a cluster whose data nobody keeps: no fsync, no full-page writes, commits not waited for.
TEST_SETTINGS = ("fsync=off", "full_page_writes=off", "synchronous_commit=off")
START_TIMEOUT_SECONDS = 60


class PostgresMissing(RuntimeError):
    """PostgreSQL's binaries are not installed and apt-get could not install them."""


def postgres_binaries(root: Path = DEBIAN_BINARIES, run: Run | None = None) -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` present, after ``apt-get install`` if none is."""
    if (found := _newest_binaries(root)) is not None:
        return found
    found, said = apt_install("postgresql", lambda: _newest_binaries(root), run)
    if found is not None:
        return found
    raise PostgresMissing("The tests need PostgreSQL, and `apt-get install -y postgresql` could not install it "
                          "(run it as root on a Debian machine):\n" + said)


def _newest_binaries(root: Path) -> Path | None:
    versions = [path for path in root.glob("*/bin") if (path / "pg_ctl").is_file() and path.parent.name.isdigit()]
    return max(versions, key=lambda path: int(path.parent.name), default=None)


class LocalPostgres:
    """One cluster in a temporary directory of its own: ``start``, ``url``, ``stop`` (or ``with``)."""

    def __init__(self, port: int | None = None, binaries: Path | None = None,
                 settings: Sequence[str] = TEST_SETTINGS) -> None:
        self.port = port or free_port()
        self._binaries = binaries
        #: ``name=value`` server settings (``-c``): the tests' by default; the bench asks for durable writes.
        self.settings = tuple(settings)
        self.directory: Path | None = None

    @property
    def url(self) -> str:
        """The superuser's URL of the ``postgres`` database, as SQLAlchemy with asyncpg takes it."""
        return f"postgresql+asyncpg://{SERVICE_USER}@{HOST}:{self.port}/postgres"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs (its pid file's first line)."""
        pid_file = self._data / "postmaster.pid" if self.directory else None
        if pid_file is None or not pid_file.is_file():
            return None
        return int(pid_file.read_text().split("\n", 1)[0])

    def start(self) -> LocalPostgres:
        binaries = self._binaries = self._binaries or postgres_binaries()
        self.directory = Path(tempfile.mkdtemp(prefix="scimflow-pg-"))
        try:
            _give_to_service_user(self.directory)
            self._run(binaries / "initdb", "-D", self._data, "-U", SERVICE_USER, "--encoding=UTF8",
                      "--locale=C.UTF-8", "--auth=trust", "--no-sync")  # C.UTF-8: lower() folds beyond ASCII
            (self._data / "pg_hba.conf").write_text(f"local all all trust\nhost all all {HOST}/32 trust\n")
            options = " ".join([f"-p {self.port}", f"-k {self.directory}", f"-c listen_addresses={HOST}",
                                *(f"-c {setting}" for setting in self.settings)])
            self._run(binaries / "pg_ctl", "start", "-w", "-t", str(START_TIMEOUT_SECONDS), "-D", self._data,
                      "-l", self.directory / "server.log", "-o", options)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server at once (``-m immediate``: nothing to keep) and remove its directory."""
        if self.directory is None:
            return
        if (pid := self.pid) is not None and pid_alive(pid) and self._binaries is not None:
            self._run(self._binaries / "pg_ctl", "stop", "-w", "-m", "immediate", "-D", self._data)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def _data(self) -> Path:
        if self.directory is None:
            raise RuntimeError("the cluster is not started")
        return self.directory / "data"

    def _run(self, *command: object) -> None:
        done = subprocess.run(_as_service_user([str(part) for part in command]), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            log = tail_file(self.directory / "server.log", 20) if self.directory else ""
            raise RuntimeError(f"{Path(str(command[0])).name} failed (exit {done.returncode}):\n"
                               f"{done.stdout}{done.stderr}\n{log}")


def _as_service_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVICE_USER, "--", *command] if os.geteuid() == 0 else command


def _give_to_service_user(directory: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(directory, SERVICE_USER, SERVICE_USER)


async def create_database(server_url: str) -> str:
    """A new empty database on the server ``server_url`` names (its user may create databases); its URL."""
    name = f"scimflow_{uuid.uuid4().hex[:16]}"
    await execute(server_url, f'CREATE DATABASE "{name}" TEMPLATE template0')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, database_url: str) -> None:
    """Drop a database ``create_database`` made, closing what is still connected to it."""
    await execute(server_url, f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)')


async def execute(url: str, statement: str) -> None:
    """One statement on a connection of its own, outside any transaction (CREATE/DROP DATABASE need that)."""
    connection = await connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def connect(url: str) -> asyncpg.Connection:
    """asyncpg's own connection to the database a settings URL (``postgresql+asyncpg://``) names: for
    tests to look at what a service stored, beside it."""
    return await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


async def fetch_rows(url: str, sql: str, *params: object) -> list[tuple]:
    """The rows of one query on a connection of its own (committed rows only, as another process sees them)."""
    connection = await connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(sql, *params)]
    finally:
        await connection.close()
