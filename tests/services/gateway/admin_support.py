"""Helpers for the tenant/admin tests: an injected clock, tenants with admins, reads from the bus."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from contracts.base import Message
from contracts.tenants.v2 import TenantActivity
from contracts.topics import TENANTS_STATE
from services.gateway.app import create_app
from shared.messaging.codec import decode_headers, decode_message
from shared.messaging.memory import InMemoryBus
from tests.conftest import OPERATOR_KEY, gateway_settings
from tests.support.clock import FakeClock

OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


async def start_gateway(aiohttp_client, bus: InMemoryBus, tmp_path: Path, clock: FakeClock, **settings):
    """The production app factory on the shared in-memory bus; each replica has its own instance id."""
    settings.setdefault("instance_id", "test-gateway")
    return await aiohttp_client(create_app(gateway_settings(tmp_path, **settings), bus=bus, clock=clock))


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def json_ok(response, status: int = 200) -> dict:
    assert response.status == status, await response.text()
    return await response.json()


async def create_tenant(client, name: str = "acme", **body) -> dict:
    return await json_ok(await client.post("/admin/v1/tenants", json={"name": name, **body}, headers=OPERATOR), 201)


async def add_admin(client, tenant_id: str, email: str = "ada@acme.example") -> dict:
    response = await client.post(f"/admin/v1/tenants/{tenant_id}/admins", json={"name": "Ada", "email": email},
                                 headers=OPERATOR)
    return await json_ok(response, 201)


async def tenant_with_admin(client, name: str = "acme") -> tuple[dict, dict[str, str]]:
    """A new tenant (with its first SCIM token) and its admin's Authorization header."""
    tenant = await create_tenant(client, name)
    admin = await add_admin(client, tenant["tenant_id"], f"admin@{name}.example")
    return tenant, bearer(admin["admin_key"])


def user(user_name: str = "jane@acme.example") -> dict:
    return {"schemas": [USER_SCHEMA], "userName": user_name, "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [{"value": user_name, "type": "work", "primary": True}], "active": True}


async def published(bus: InMemoryBus, topic: str) -> list[Message]:
    """Every message on a topic so far, decoded by its message_type header."""
    async with bus.reader(topic, from_beginning=True) as reader:
        records = await reader.fetch(0) if await reader.lag() else []
    return [decode_message(decode_headers(record.headers), record.value) for record in records]


async def activity_records(bus: InMemoryBus) -> list[TenantActivity]:
    return [m for m in await published(bus, TENANTS_STATE.name) if isinstance(m, TenantActivity)]


async def eventually(check, timeout: float = 1.0):
    """Poll an async check with a deadline (the other replica reads the bus on its own task)."""
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)  # a poll interval under a deadline, not a wait for time to pass
    return result
