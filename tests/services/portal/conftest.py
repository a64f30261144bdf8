"""The portal against the real gateway app and real services on the in-memory bus."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.messaging.memory import InMemoryBus
from tests.services.gateway.admin_support import (
    OPERATOR,
    add_admin,
    create_tenant,
    json_ok,
    start_gateway,
)
from tests.services.gateway.webhooks_support import FakeWebhooks, fake_webhooks_on
from tests.services.portal.portal_support import sign_in, start_portal
from tests.support.clock import FakeClock


@pytest.fixture
async def gw(aiohttp_client, memory_bus: InMemoryBus, tmp_path: Path, user_store, sync_status, notifier):
    """The gateway's clock is today's: the portal reads "expires in N days" against the real time."""
    return await start_gateway(aiohttp_client, memory_bus, tmp_path, FakeClock(datetime.now(UTC)))


@pytest.fixture
async def portal(aiohttp_client, gw, tmp_path: Path):
    return await start_portal(aiohttp_client, gw, tmp_path)


@pytest.fixture
async def acme(gw) -> dict:
    """A tenant with 3 Sales seats and an admin: its id, first token and the admin's key."""
    tenant = await create_tenant(gw, "acme")
    admin = await add_admin(gw, tenant["tenant_id"])
    await json_ok(await gw.post(f"/admin/v1/tenants/{tenant['tenant_id']}/products", headers=OPERATOR,
                                json={"product": "Sales", "seats": 3, "expires_at": "2099-12-31T00:00:00+00:00"}),
                  201)
    return {**tenant, "admin_key": admin["admin_key"]}


@pytest.fixture
async def admin(portal, acme):
    """The portal signed in as acme's admin."""
    response = await sign_in(portal, acme["admin_key"])
    assert response.status == 200 and str(response.url).endswith("/"), await response.text()
    return portal


@pytest.fixture
async def webhooks(memory_bus: InMemoryBus) -> AsyncIterator[FakeWebhooks]:
    """The webhooks service's stand-in behind the gateway (tests/services/gateway/webhooks_support.py)."""
    async with fake_webhooks_on(memory_bus) as fake:
        yield fake
