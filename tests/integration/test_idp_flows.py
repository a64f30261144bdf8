"""Okta's and Entra's whole provisioning sessions against the real system: every service its own
process, a real Kafka broker, real HTTP (the suite tests/conformance/test_idp_flows.py also runs)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.idp_flows.client import ScimClient
from tests.idp_flows.sessions import IdpSessions
from tests.integration.conftest import create_tenant, subscribe_product

pytestmark = pytest.mark.integration


@pytest.fixture
def tenant(running_system) -> dict:
    return create_tenant(running_system)


@pytest.fixture
async def scim(tenant) -> AsyncIterator[ScimClient]:
    """A SCIM session for a tenant made with the real CLI, over a real HTTP connection."""
    async with aiohttp.ClientSession() as session:
        yield ScimClient(session, tenant["scim_base_url"], {"Authorization": f"Bearer {tenant['token']}"})


@pytest.fixture
def subscribe(running_system, tenant):
    async def subscribe(product: str, seats: int) -> None:
        await asyncio.to_thread(subscribe_product, running_system, tenant["tenant_id"], product, seats)
    return subscribe


class TestOnTheRealSystem(IdpSessions):
    """Every service as its own process on a real broker, spoken to over real HTTP."""
