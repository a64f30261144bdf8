"""Fixtures for the gateway's tenant/admin tests: an injected clock and an app that uses it."""

from pathlib import Path

import pytest

from shared.messaging.memory import InMemoryBus
from tests.services.gateway.admin_support import start_gateway
from tests.support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def gw(aiohttp_client, memory_bus: InMemoryBus, tmp_path: Path, clock: FakeClock):
    """Like the root ``gateway`` fixture, with the clock the test moves."""
    return await start_gateway(aiohttp_client, memory_bus, tmp_path, clock)
