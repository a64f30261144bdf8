"""Issue 6, "done when" 1, on the real system: 120 concurrent SCIM creates against 100 seats make
exactly 100 users holding 100 seats and 20 refusals naming the seat reason; the same with every
command delivered twice on the broker, and with the allocator killed (SIGKILL) mid-run and restarted.

The client behaves like an IdP: a 503 is retried after a pause (Okta and Entra retry), a 409 on a
retried create means an earlier try got through, so it looks the user up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest

from contracts.topics import SEATS_COMMANDS, USERS_COMMANDS
from shared.devtools.launcher import System
from shared.messaging.kafka import KafkaBus
from tests.integration.conftest import (
    create_tenant,
    operator_headers,
    subscribe_product,
)

pytestmark = pytest.mark.integration

USERS, SEATS = 120, 100
EXTENSION = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"
DUPLICATE = "test-duplicate"


async def provision(session: aiohttp.ClientSession, base: str, token: str, user_name: str) -> tuple[str, str]:
    """("created" | "refused", detail) as an IdP would end up seeing it."""
    headers, deadline = {"Authorization": f"Bearer {token}"}, time.monotonic() + 120
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", EXTENSION], "userName": user_name,
            EXTENSION: {"products": ["Sales"]}}
    while time.monotonic() < deadline:
        async with session.post(f"{base}/Users", json=body, headers=headers) as response:
            answer = await response.json(content_type=None)
            if response.status == 201:
                return "created", answer["id"]
            if response.status == 409:  # an earlier try went through
                return "created", await look_up(session, base, headers, user_name)
            if response.status == 400:
                return "refused", answer["detail"]
            assert response.status == 503, (response.status, answer)
        await asyncio.sleep(0.5)
    raise TimeoutError(f"{user_name} never provisioned")


async def look_up(session: aiohttp.ClientSession, base: str, headers: dict, user_name: str) -> str:
    """The user's id; a 503 (the store busy with the run) or 429 is retried like the IdP would."""
    params, deadline = {"filter": f'userName eq "{user_name}"'}, time.monotonic() + 60
    while True:
        async with session.get(f"{base}/Users", params=params, headers=headers) as response:
            answer = await response.json(content_type=None)
            if response.status not in (429, 503) or time.monotonic() > deadline:
                assert response.status == 200, (response.status, answer)
                [found] = answer["Resources"]
                return found["id"]
        await asyncio.sleep(0.5)


async def seat_summary(session: aiohttp.ClientSession, system: System, tenant_id: str) -> dict:
    """The product's seats; a 503 (the allocator restarting) is retried as an operator's console would."""
    deadline = time.monotonic() + 60
    while True:
        async with session.get(f"{system.base_url}/admin/v1/tenants/{tenant_id}/products",
                               headers=operator_headers(system)) as response:
            answer = await response.json()
            if response.status != 503 or time.monotonic() > deadline:
                assert response.status == 200, (response.status, answer)
                [sales] = answer["products"]
                return sales
        await asyncio.sleep(0.5)


async def total_users(session: aiohttp.ClientSession, base: str, token: str) -> int:
    async with session.get(f"{base}/Users", params={"count": "0"},
                           headers={"Authorization": f"Bearer {token}"}) as response:
        return (await response.json(content_type=None))["totalResults"]


@asynccontextmanager
async def every_command_twice(bootstrap_servers: str) -> AsyncIterator[None]:
    """Re-publish every user and seat command once more, same key, headers and body: a redelivery."""
    bus = KafkaBus(bootstrap_servers, client_id="test-duplicator")
    stop = asyncio.Event()
    async with bus.publisher() as publisher, \
            bus.reader(USERS_COMMANDS.name, from_beginning=False) as users, \
            bus.reader(SEATS_COMMANDS.name, from_beginning=False) as seats:
        async def copy(reader, topic: str) -> None:
            while not stop.is_set():
                for record in await reader.fetch(100):
                    if not any(name == DUPLICATE for name, _ in record.headers):
                        await publisher.send(topic, record.value, key=record.key.decode() if record.key else None,
                                             headers=[*record.headers, (DUPLICATE, b"1")])
        tasks = [asyncio.create_task(copy(users, USERS_COMMANDS.name)),
                 asyncio.create_task(copy(seats, SEATS_COMMANDS.name))]
        await asyncio.sleep(1)  # both readers positioned at the end before the run starts
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)


async def run_120_creates(system: System, during=None) -> tuple[list[tuple[str, str]], dict, int]:
    tenant = create_tenant(system)
    await asyncio.to_thread(subscribe_product, system, tenant["tenant_id"], "Sales", SEATS)
    base, token = tenant["scim_base_url"], tenant["token"]
    async with aiohttp.ClientSession() as session:
        runs = asyncio.gather(*(provision(session, base, token, f"user{i:03}@example.com") for i in range(USERS)))
        if during is not None:
            await during(session, tenant["tenant_id"])
        outcomes = await runs
        summary = await settled(session, system, tenant["tenant_id"])
        return outcomes, summary, await total_users(session, base, token)


async def settled(session: aiohttp.ClientSession, system: System, tenant_id: str, timeout: float = 90) -> dict:
    """The seat count once nothing moves any more (the sweeper may still be finishing a given-up step)."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        summary = await seat_summary(session, system, tenant_id)
        if summary == last and summary["used"] <= SEATS:
            return summary
        last = summary
        await asyncio.sleep(2)
    return last


def assert_exactly_100(outcomes: list[tuple[str, str]], summary: dict, users: int) -> None:
    created = [detail for kind, detail in outcomes if kind == "created"]
    refused = [detail for kind, detail in outcomes if kind == "refused"]
    assert (len(created), len(set(created)), len(refused)) == (SEATS, SEATS, USERS - SEATS)
    assert all("product 'Sales' has no free seat (100 of 100 in use)" in detail for detail in refused), refused
    assert (summary["used"], summary["free"], users) == (SEATS, 0, SEATS)


async def test_120_creates_on_100_seats(running_system):
    assert_exactly_100(*await run_120_creates(running_system))


async def test_120_creates_on_100_seats_with_every_command_delivered_twice(running_system):
    async with every_command_twice(running_system.bootstrap_servers):
        result = await run_120_creates(running_system)
    assert_exactly_100(*result)


async def test_120_creates_on_100_seats_with_the_allocator_killed_mid_run(fresh_system):
    """A system of its own: it kills the allocator."""

    async def kill_and_restart(session: aiohttp.ClientSession, tenant_id: str) -> None:
        while (await seat_summary(session, fresh_system, tenant_id))["used"] < 10:  # early: 120 creates take ~1 s
            await asyncio.sleep(0.1)
        [allocator] = [p for p in fresh_system.processes if p.service == "seat_allocator"]
        allocator.kill()  # SIGKILL mid-run
        fresh_system.processes.remove(allocator)
        await asyncio.sleep(2)
        fresh_system.start_service("seat_allocator", allocator.instance_id)  # its name back: it rejoins at once

    assert_exactly_100(*await run_120_creates(fresh_system, kill_and_restart))
