"""Shared fixtures. Unit tests use the in-memory bus; tests marked ``integration`` use a real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contracts.topics import ALL_TOPICS, GROUPS_COMMANDS, USERS_COMMANDS
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.user_store.bootstrap import bootstrap as user_store_bootstrap
from shared.messaging.memory import InMemoryBus
from shared.messaging.ping import ServiceIdentity
from shared.messaging.worker import run_worker

OPERATOR_KEY = "test-operator-key"


@pytest.fixture
async def memory_bus() -> InMemoryBus:
    bus = InMemoryBus()
    await bus.ensure_topics(ALL_TOPICS)
    return bus


@pytest.fixture
async def user_store(memory_bus: InMemoryBus, tmp_path: Path) -> AsyncIterator[None]:
    """The real user store handlers on a real SQLite file, fed by the in-memory bus."""
    stop, ready = asyncio.Event(), asyncio.Event()
    identity = ServiceIdentity("user_store", "test")
    async with user_store_bootstrap(tmp_path / "users.sqlite3", identity) as dispatch:
        task = asyncio.create_task(run_worker(
            memory_bus, topics=[USERS_COMMANDS.name, GROUPS_COMMANDS.name], group_id="user_store",
            dispatch=dispatch, source=identity.source, stop=stop, ready=ready,
        ))
        await ready.wait()
        yield
        stop.set()
        await task


def gateway_settings(tmp_path: Path, **overrides) -> GatewaySettings:
    values = dict(data_dir=tmp_path, operator_key=OPERATOR_KEY, request_timeout=2.0,
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


@pytest.fixture(scope="session")
def kafka_bootstrap_servers(tmp_path_factory) -> str:
    """A real broker: $KAFKA_BOOTSTRAP_SERVERS, else testcontainers if Docker answers, else the local
    KRaft broker from Maven Central jars. Never mocked, never skipped: no broker fails the suite."""
    from shared.devtools.broker_choice import kafka_bootstrap

    with kafka_bootstrap(tmp_path_factory.mktemp("kafka")) as servers:
        yield servers
