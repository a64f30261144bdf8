"""The ops port (shared/ops/): /metrics in the Prometheus text format, /livez, /readyz naming what is
missing; and what makes a worker ready (shared/ops/worker_checks.py)."""

from __future__ import annotations

import sqlite3

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import make_url

from contracts.topics import TopicSpec
from shared.devtools.local_kafka import free_port
from shared.devtools.local_postgres import fetch_rows
from shared.messaging.memory import InMemoryBus
from shared.messaging.transport import ConsumerWatch
from shared.ops.server import ops_app, ops_server
from shared.ops.worker_checks import database_answers_now, postgres_answers_now, worker_readiness
from shared.settings import PostgresSchema, SqliteFile


def readiness(*missing: str):
    async def probe() -> list[str]:
        return list(missing)
    return probe


async def test_metrics_parse_as_prometheus_text(aiohttp_client):
    client = await aiohttp_client(ops_app(readiness()))
    response = await client.get("/metrics")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(await response.text())}
    assert {"scimflow_commands_served", "scimflow_http_requests", "scimflow_requests_awaiting_reply"} <= names


async def test_livez_answers_and_readyz_names_what_is_missing(aiohttp_client):
    ready = await aiohttp_client(ops_app(readiness()))
    assert (await ready.get("/livez")).status == 200
    response = await ready.get("/readyz")
    assert (response.status, await response.json()) == (200, {"status": "ready"})
    not_ready = await aiohttp_client(ops_app(readiness("partitions", "database")))
    response = await not_ready.get("/readyz")
    assert response.status == 503
    assert await response.json() == {"status": "not ready", "missing": ["partitions", "database"]}


async def test_the_server_listens_on_its_port_only_while_the_block_runs():
    port = free_port()
    async with ops_server("127.0.0.1", port, readiness()), aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/livez") as response:
            assert response.status == 200
    async with aiohttp.ClientSession() as session:
        try:
            async with session.get(f"http://127.0.0.1:{port}/livez"):
                raise AssertionError("still listening")
        except aiohttp.ClientConnectionError:
            pass


def test_a_database_answers_when_its_file_does_and_a_missing_one_is_not_created(tmp_path):
    path = tmp_path / "service.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    assert database_answers_now(path)
    missing = tmp_path / "gone.sqlite3"
    assert not database_answers_now(missing)
    assert not missing.exists()
    (tmp_path / "garbage.sqlite3").write_bytes(b"not a database at all, surely " * 10)
    assert not database_answers_now(tmp_path / "garbage.sqlite3")


async def test_a_worker_is_ready_with_partitions_and_a_database(tmp_path):
    path = tmp_path / "service.sqlite3"
    watch = ConsumerWatch()
    probe = worker_readiness(watch, SqliteFile(path))
    assert await probe() == ["partitions", "database"]
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    bus = InMemoryBus()
    await bus.ensure_topics([TopicSpec("t", 2)])
    async with bus.group_consumer(["t"], "g") as consumer:
        watch.consumer = consumer
        assert await probe() == []
    assert await worker_readiness(watch, None)() == []  # no database to ask


async def test_a_postgres_database_answers_when_the_services_schema_is_there(postgres_url):
    """A service on PostgreSQL (SCIMFLOW_DATABASE_URL) is ready when the server answers with its schema."""
    assert not await postgres_answers_now(PostgresSchema(postgres_url, schema="user_store"))  # not made yet
    await fetch_rows(postgres_url, "CREATE SCHEMA user_store")
    assert await postgres_answers_now(PostgresSchema(postgres_url, schema="user_store"))
    nowhere = make_url(postgres_url).set(port=free_port()).render_as_string(hide_password=False)
    assert not await postgres_answers_now(PostgresSchema(nowhere, schema="user_store"))  # no server there
