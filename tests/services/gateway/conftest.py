"""Fixtures for the gateway's tenant/admin tests: an injected clock and an app that uses it."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.messaging.memory import InMemoryBus
from tests.services.gateway.admin_support import start_gateway
from tests.services.gateway.webhooks_support import (
    FakeWebhooks,
    fake_webhooks_on,
    real_webhooks_on,
)
from tests.support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def gw(aiohttp_client, memory_bus: InMemoryBus, tmp_path: Path, clock: FakeClock):
    """Like the root ``gateway`` fixture, with the clock the test moves."""
    return await start_gateway(aiohttp_client, memory_bus, tmp_path, clock)


@pytest.fixture
async def webhooks(memory_bus: InMemoryBus, clock: FakeClock) -> AsyncIterator[FakeWebhooks]:
    """The webhooks service's stand-in, answering on the bus (tests/services/gateway/webhooks_support.py)."""
    async with fake_webhooks_on(memory_bus, clock) as fake:
        yield fake


@pytest.fixture
async def real_webhooks(memory_bus: InMemoryBus, tmp_path: Path, clock: FakeClock) -> AsyncIterator[None]:
    """The real webhooks service on the bus, with production's settings."""
    async with real_webhooks_on(memory_bus, tmp_path, clock):
        yield
