"""Issue 25, the seat allocator on PostgreSQL, on the real system: its own process, started as an operator
starts it with SCIMFLOW_DATABASE_URL, seats and refuses over the real broker, keeps its seats in its schema
of the database (no SQLite file), and its relay publishes the events its outbox there holds."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from contracts.seats.v1 import AllocateSeats, SubscribeProduct, SubscriptionChanged
from contracts.topics import EVENTS, SEATS_COMMANDS
from shared.devtools.local_postgres import fetch_rows
from shared.messaging.requester import unwrap
from tests.integration.kafka_ask import ask_many

pytestmark = pytest.mark.integration

SALES = SubscribeProduct(product="Sales", seats=1, expires_at=datetime(2036, 1, 1, tzinfo=UTC))


def allocation(user: str, tenant: str) -> tuple[AllocateSeats, str, str]:
    return AllocateSeats(user_id=user, user_name=f"{user}@acme.example", products=["Sales"]), SEATS_COMMANDS.name, tenant


async def stored(database_url: str, sql: str) -> list[tuple]:
    return await fetch_rows(database_url, sql)

async def events_of(servers: str, tenant: str, count: int, timeout: float = 60.0) -> list[dict]:
    """The first ``count`` events of ``tenant`` on ``scimflow.events`` (read from the start, no group)."""
    consumer = AIOKafkaConsumer(EVENTS.name, bootstrap_servers=servers, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    found: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found += [event for record in records
                              if (event := orjson.loads(record.value))["tenantid"] == tenant]
    finally:
        await consumer.stop()
    return found


async def test_the_allocator_on_postgres_seats_and_refuses_over_the_real_broker(make_system, postgres_url):
    system = make_system(SCIMFLOW_DATABASE_URL=postgres_url)
    system.start_service("seat_allocator", "seat-allocator-1")
    system.wait_healthy(timeout=120)  # joined its group: a command sent sooner could outlive its deadline
    servers, tenant = system.bootstrap_servers, f"t-{uuid.uuid4().hex[:8]}"  # its own events on a shared broker
    [subscribed], _ = await ask_many(servers, [(SALES, SEATS_COMMANDS.name, tenant)], tenant_id=tenant)
    unwrap(subscribed, SubscriptionChanged)
    replies, _ = await ask_many(servers, [allocation("ann", tenant), allocation("bob", tenant)], tenant_id=tenant)
    outcomes = sorted((reply.ok, reply.error.detail if reply.error else "") for reply in replies)
    assert [ok for ok, _ in outcomes] == [False, True]  # one seat: one seated, one refused with the reason
    assert outcomes[0][1].endswith("product 'Sales' has no free seat (1 of 1 in use)")
    assert await stored(postgres_url, "SELECT used FROM seat_allocator.products") == [(1,)]
    assert len(await stored(postgres_url, "SELECT user_id FROM seat_allocator.seats")) == 1
    events = await events_of(servers, tenant, 2)  # written to the outbox in PostgreSQL, published by the relay
    assert sorted(event["type"] for event in events) == ["scimflow.seat.assigned", "scimflow.seat.refused"]
    assert {event["source"] for event in events} == {"scimflow/seat_allocator"}
    assert not list(system.data_dir.rglob("*.sqlite3"))  # nothing of it on this host's disk
