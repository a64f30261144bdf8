"""Shared fixtures. Unit tests use the in-memory bus; tests marked ``integration`` use a real broker."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from contracts.topics import (
    ALL_TOPICS,
    GROUPS_COMMANDS,
    NOTIFIER_COMMANDS,
    SEATS_COMMANDS,
    SYNC_STATUS_COMMANDS,
    USERS_COMMANDS,
)
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.notifier.bootstrap import bootstrap as notifier_bootstrap
from services.notifier.settings import NotifierSettings
from services.seat_allocator.bootstrap import bootstrap as seat_allocator_bootstrap
from services.sync_status.bootstrap import bootstrap as sync_status_bootstrap
from services.sync_status.settings import SyncStatusSettings
from services.user_store.bootstrap import on_bus as user_store_on_bus
from services.user_store.database import create_engine as create_users_engine
from services.user_store.database import create_schema as create_users_schema
from shared.devtools.broker_choice import BrokerAccess
from shared.devtools.local_kafka import free_port
from shared.devtools.local_postgres import LocalPostgres
from shared.devtools.recycled_databases import RecycledDatabases
from shared.messaging.dispatch import Dispatcher
from shared.messaging.memory import InMemoryBus
from shared.messaging.ping import ServiceIdentity
from shared.messaging.worker import run_worker
from shared.settings import SqliteFile

pytest_plugins = ["tests.support.hang_report", "tests.support.parallel"]

OPERATOR_KEY = "test-operator-key-at-least-32-characters"  # the gateway refuses shorter ones
#: A PostgreSQL server the tests use instead of starting their own (its user may create databases).
TEST_DATABASE_ENV = "SCIMFLOW_TEST_DATABASE_URL"


@pytest.fixture
async def memory_bus() -> InMemoryBus:
    bus = InMemoryBus()
    await bus.ensure_topics(ALL_TOPICS)
    return bus


@asynccontextmanager
async def serving(bus: InMemoryBus, topics: list[str], identity: ServiceIdentity, dispatch) -> AsyncIterator[None]:
    """A service's worker on the in-memory bus, from ready until the block ends."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_worker(bus, topics=topics, group_id=identity.service, dispatch=dispatch,
                                          source=identity.source, stop=stop, ready=ready))
    started = asyncio.ensure_future(ready.wait())
    await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():  # the worker died before it was ready: say why instead of waiting forever
        started.cancel()
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture
async def seat_allocator(memory_bus: InMemoryBus, tmp_path: Path) -> AsyncIterator[None]:
    identity = ServiceIdentity("seat_allocator", "test")
    async with (seat_allocator_bootstrap(SqliteFile(tmp_path / "seats.sqlite3"), identity) as dispatch,
                serving(memory_bus, [SEATS_COMMANDS.name], identity, dispatch)):
        yield


@pytest.fixture
async def notifier(memory_bus: InMemoryBus, tmp_path: Path) -> AsyncIterator[Dispatcher]:
    """The real notifier on the in-memory bus (no mail goes out: delivery waits an hour); its dispatcher,
    for a test to send a notice as another service would."""
    identity = ServiceIdentity("notifier", "test")
    settings = NotifierSettings(data_dir=tmp_path, smtp_port=free_port(), delivery_poll_seconds=3600)
    async with (notifier_bootstrap(settings, identity) as dispatch,
                serving(memory_bus, [NOTIFIER_COMMANDS.name], identity, dispatch)):
        yield dispatch


@pytest.fixture
async def sync_status(memory_bus: InMemoryBus, tmp_path: Path) -> AsyncIterator[None]:
    identity = ServiceIdentity("sync_status", "test")
    async with (sync_status_bootstrap(SyncStatusSettings(data_dir=tmp_path), identity) as dispatch,
                serving(memory_bus, [SYNC_STATUS_COMMANDS.name], identity, dispatch)):
        yield


@pytest.fixture
async def user_store(memory_bus: InMemoryBus, tmp_path: Path, seat_allocator) -> AsyncIterator[None]:
    """The real user store handlers on a real SQLite file, fed by the in-memory bus, with a real seat allocator."""
    identity = ServiceIdentity("user_store", "test")
    async with (user_store_on_bus(SqliteFile(tmp_path / "users.sqlite3"), identity, memory_bus) as dispatch,
                serving(memory_bus, [USERS_COMMANDS.name, GROUPS_COMMANDS.name], identity, dispatch)):
        yield


def gateway_settings(tmp_path: Path, **overrides) -> GatewaySettings:
    # The production default: on this 2-core machine a real-system test beside starves the in-memory ones for
    # seconds at a time (2 s made their commands 503 now and then).
    values = dict(data_dir=tmp_path, operator_key=OPERATOR_KEY, request_timeout=5.0,
                  instance_id="test-gateway")
    return GatewaySettings(**(values | overrides))


@pytest.fixture
async def gateway(aiohttp_client, memory_bus: InMemoryBus, tmp_path: Path):
    """A test client for the production app factory, on the in-memory bus."""
    return await aiohttp_client(create_app(gateway_settings(tmp_path), bus=memory_bus))


@pytest.fixture
async def tenant(gateway) -> dict:
    response = await gateway.post("/admin/v1/tenants", json={"name": "acme"},
                                  headers={"Authorization": f"Bearer {OPERATOR_KEY}"})
    assert response.status == 201, await response.text()
    return await response.json()


@pytest.fixture
def auth(tenant: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant['token']}"}


@pytest.fixture
async def users_database(tmp_path: Path):
    """A fresh user-store SQLite file with its schema, as the store opens it (disposed after the test)."""
    engine = create_users_engine(tmp_path / "users.sqlite3")
    await create_users_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory) -> Iterator[BrokerAccess]:
    """A real broker: $KAFKA_BOOTSTRAP_SERVERS, else testcontainers if Docker answers, else the local
    KRaft broker from Maven Central jars. Never mocked, never skipped: no broker fails the suite. On the
    local broker the systems' services log in over SCRAM (its ``services_env``)."""
    from shared.devtools.broker_choice import kafka_broker

    with kafka_broker(tmp_path_factory.mktemp("kafka")) as access:
        yield access


@pytest.fixture(scope="session")
def kafka_bootstrap_servers(kafka_broker: BrokerAccess) -> str:
    """Where the tests' own (in-process) clients reach the broker: PLAINTEXT on the local one."""
    return kafka_broker.bootstrap_servers


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL server's URL: $SCIMFLOW_TEST_DATABASE_URL, else a throw-away cluster of Debian's
    binaries (shared/devtools/local_postgres.py), stopped after the session. Never mocked."""
    if configured := os.environ.get(TEST_DATABASE_ENV, "").strip():
        yield configured
        return
    with LocalPostgres() as cluster:
        yield cluster.url


@pytest.fixture(scope="session")
def test_databases(postgres_server: str) -> Iterator[RecycledDatabases]:
    """The tests' databases on ``postgres_server``, each wiped for the next test (made anew only when it could
    not be), all dropped after the session."""
    databases = RecycledDatabases(postgres_server)
    yield databases
    asyncio.run(databases.close())


@pytest.fixture
async def postgres_url(test_databases: RecycledDatabases) -> AsyncIterator[str]:
    """A database of the test's own, empty as a new one: no one else's connection and nothing an earlier test
    left in it (shared/devtools/recycled_databases.py checks that before handing it out)."""
    url = await test_databases.take()
    yield url
    test_databases.give_back(url)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> dict[str, str]:
    """The settings that pick a stateful service's backend, for its tests to run on both: none (a SQLite file
    under the test's data directory), or a fresh database on the real PostgreSQL of ``postgres_server``."""
    if request.param == "sqlite":
        return {}
    return {"database_url": request.getfixturevalue("postgres_url")}
