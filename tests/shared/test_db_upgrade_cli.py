"""`scimflow db upgrade` (shared/store/upgrade.py): every stateful service's database migrated where the
environment puts it, SQLite files and PostgreSQL schemas alike, with a line a service; a database a newer
release migrated is said on stderr and the others are still upgraded. And what `scimflow run`'s banner says of
the databases."""

from __future__ import annotations

import asyncio
import os

import pytest

from shared import cli
from shared.settings import PostgresSchema, SqliteFile
from shared.store.upgrade import describe, stateful_services
from tests.support.databases import on_connection, schema_revision, stamp_newer

SERVICES = [service.schema.service for service in stateful_services()]
NEWEST = {service.schema.service: service.schema.newest for service in stateful_services()}
#: What a first run says of each service: every revision applied, now at the newest.
FIRST_RUN = {service.schema.service: "applied " + ", applied ".join(service.schema.revisions)
             + f"; now at {service.schema.newest}" for service in stateful_services()}


@pytest.fixture
def scimflow(monkeypatch, tmp_path, capsys):
    """``scimflow db upgrade`` with its data directory under the test's, and no database URL but the test's."""
    monkeypatch.setenv("SCIMFLOW_DATA_DIR", str(tmp_path))
    for name in [name for name in os.environ if name.startswith("SCIMFLOW_") and name.endswith("DATABASE_URL")]:
        monkeypatch.delenv(name)

    async def upgrade(**urls: str) -> tuple[int, str, str]:
        for service, url in urls.items():
            monkeypatch.setenv(f"SCIMFLOW_{service.upper()}_DATABASE_URL", url)
        code = await asyncio.to_thread(cli.main, ["db", "upgrade"])
        out, err = capsys.readouterr()
        return code, out, err
    return upgrade


def sqlite_file(tmp_path, service: str) -> SqliteFile:
    return SqliteFile(tmp_path / service / {"user_store": "users.sqlite3", "seat_allocator": "seats.sqlite3"}.get(
        service, f"{service}.sqlite3"))


async def test_every_sqlite_file_is_migrated_and_a_second_run_finds_nothing_to_do(scimflow, tmp_path):
    code, out, err = await scimflow()
    assert (code, err) == (0, "")
    assert [line.split(":")[1].strip() for line in out.splitlines()] == SERVICES
    assert all(f"{FIRST_RUN[service]} (SQLite " in line for service, line in zip(SERVICES, out.splitlines(), strict=True)), out
    for service in SERVICES:
        assert await on_connection(sqlite_file(tmp_path, service), schema_revision) == NEWEST[service]
    code, out, _ = await scimflow()
    assert code == 0 and all(f"{service}: at {NEWEST[service]}, nothing to do" in out for service in SERVICES), out


async def test_the_services_on_postgresql_are_migrated_in_their_schemas(scimflow, tmp_path, postgres_url):
    on_sqlite, on_postgres = SERVICES[0], SERVICES[1:]  # a service may keep its file while the others move
    code, out, err = await scimflow(**dict.fromkeys(on_postgres, postgres_url))
    assert (code, err) == (0, ""), err
    for service in on_postgres:
        [line] = [line for line in out.splitlines() if line.startswith(f"scimflow: {service}:")]
        assert f"{FIRST_RUN[service]} (PostgreSQL postgresql+asyncpg://" in line and f"schema {service})" in line
        assert await on_connection(PostgresSchema(postgres_url, service), schema_revision) == NEWEST[service]
    assert await on_connection(sqlite_file(tmp_path, on_sqlite), schema_revision) == NEWEST[on_sqlite]


async def test_a_database_a_newer_release_migrated_is_said_and_the_others_are_still_upgraded(scimflow, tmp_path):
    await scimflow()
    await on_connection(sqlite_file(tmp_path, "notifier"), stamp_newer)
    code, out, err = await scimflow()
    assert code == 1 and "Traceback" not in err
    assert err.startswith("scimflow: notifier: not upgraded (SQLite ") and "schema revision 0099" in err, err
    assert len(err.splitlines()) == 1 and out.count("nothing to do") == len(SERVICES) - 1, out


def test_a_postgresql_location_is_said_without_its_password():
    said = describe(PostgresSchema("postgresql+asyncpg://scimflow:s3cret-pw@db.example:5432/scimflow", "notifier"))
    assert said == "PostgreSQL postgresql+asyncpg://scimflow:***@db.example:5432/scimflow, schema notifier"


def test_make_runs_banner_says_which_databases_the_services_keep_their_state_in(tmp_path):
    assert cli.databases_said({}, tmp_path) == f"SQLite files under {tmp_path}"
    said = cli.databases_said({"SCIMFLOW_DATABASE_URL": "postgresql+asyncpg://scimflow:s3cret@db:5432/scim"}, tmp_path)
    assert said == "PostgreSQL postgresql+asyncpg://scimflow:***@db:5432/scim, a schema per service"
