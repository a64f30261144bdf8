"""The webhooks service on a real SQLite file or a real PostgreSQL database (``database``: each test that
asks for it runs on both), with the in-memory bus standing for Kafka (unit tests: the
real broker is in tests/integration/test_webhooks_real.py), a clock moved by hand, and real HTTP receivers."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, datetime

import pytest
from aiohttp import web

from contracts.topics import ALL_TOPICS
from services.webhooks.bootstrap import bootstrap
from shared.messaging.memory import InMemoryBus
from tests.support.clock import FakeClock
from tests.support.webhooks import IDENTITY, Receiver, Service, settings_for


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
async def make_service(tmp_path, clock, database):
    """A service started with these settings (the test's own over settings_for's)."""
    async with AsyncExitStack() as stack:
        async def make(**values) -> Service:
            bus = InMemoryBus()
            await bus.ensure_topics(ALL_TOPICS)
            dispatcher = await stack.enter_async_context(
                bootstrap(settings_for(tmp_path, **database, **values), IDENTITY, bus=bus, clock=clock))
            return Service(dispatcher, bus, clock)

        yield make


@pytest.fixture
async def receiver(aiohttp_server) -> tuple[Receiver, str]:
    endpoint = Receiver()
    app = web.Application()
    app.router.add_post("/hook", endpoint.handle)
    server = await aiohttp_server(app)
    return endpoint, str(server.make_url("/hook"))
