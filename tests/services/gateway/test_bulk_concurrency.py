"""POST /Bulk runs independent operations at once, up to scim_api.bulk.CONCURRENCY, and keeps the order of those
that depend on each other (RFC 7644 §3.7.2), against the real user store on the in-memory bus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contracts.topics import GROUPS_COMMANDS, USERS_COMMANDS
from services.gateway.scim_api.bulk import CONCURRENCY
from services.user_store.bootstrap import on_bus as user_store_on_bus
from shared.messaging.memory import InMemoryBus
from shared.messaging.ping import ServiceIdentity
from shared.settings import SqliteFile
from tests.conftest import serving
from tests.services.gateway.admin_support import json_ok, user

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
#: Generous: the gate opens within milliseconds when the operations are sent together.
DEADLINE = 10


class Gate:
    """In front of the user store: holds every command until ``width`` are held at once, then lets them all
    through, and records the most ever in flight. Sent one at a time, the first command waits at the gate."""

    def __init__(self, dispatch, width: int) -> None:
        self._dispatch, self._width = dispatch, width
        self.in_flight = self.most = 0
        self.open = asyncio.Event()

    async def __call__(self, message, meta):
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight >= self._width:
            self.open.set()
        try:
            await self.open.wait()
            return await self._dispatch(message, meta)
        finally:
            self.in_flight -= 1


@pytest.fixture
async def gate(memory_bus: InMemoryBus, tmp_path: Path, seat_allocator) -> AsyncIterator[Gate]:
    identity = ServiceIdentity("user_store", "test")
    async with user_store_on_bus(SqliteFile(tmp_path / "users.sqlite3"), identity, memory_bus) as dispatch:
        gate = Gate(dispatch, CONCURRENCY)
        async with serving(memory_bus, [USERS_COMMANDS.name, GROUPS_COMMANDS.name], identity, gate):
            yield gate


async def bulk_through(gate: Gate, gateway, auth, *operations: dict) -> list[dict]:
    """The BulkResponse's results, once the gate saw CONCURRENCY operations at once (else: fail at the deadline)."""
    sending = asyncio.ensure_future(gateway.post("/scim/v2/Bulk", json={"schemas": [BULK], "Operations": list(operations)},
                                                 headers=auth))
    try:
        async with asyncio.timeout(DEADLINE):
            await gate.open.wait()
        response = await sending
    finally:
        gate.open.set()
        sending.cancel()
    return (await json_ok(response))["Operations"]


def create(bulk_id: str, user_name: str) -> dict:
    return {"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": user(user_name)}


async def test_independent_operations_are_in_flight_together_up_to_the_limit(gate, gateway, auth):
    results = await bulk_through(gate, gateway, auth, *(create(f"b{i}", f"u{i}@acme.example") for i in range(40)))
    assert [r["status"] for r in results] == ["201"] * 40
    assert gate.most == CONCURRENCY


async def test_operations_on_one_resource_and_on_a_bulk_id_keep_their_order(gate, gateway, auth):
    """The group's member, the PATCH and the DELETE all name bulkId:jane: each runs after the one before it."""
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Team",
             "members": [{"value": "bulkId:jane"}]}
    title = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]}
    results = await bulk_through(
        gate, gateway, auth,
        create("jane", "jane@acme.example"),
        {"method": "POST", "path": "/Groups", "bulkId": "team", "data": group},
        {"method": "PATCH", "path": "/Users/bulkId:jane", "data": title},
        {"method": "DELETE", "path": "/Users/bulkId:jane"},
        *(create(f"b{i}", f"u{i}@acme.example") for i in range(20)))
    assert [r["status"] for r in results] == ["201", "201", "200", "204"] + ["201"] * 20
    jane = results[0]["location"].rsplit("/", 1)[-1]
    assert (await gateway.get(f"/scim/v2/Users/{jane}", headers=auth)).status == 404
    assert [r.get("bulkId") for r in results[:2]] == ["jane", "team"]
