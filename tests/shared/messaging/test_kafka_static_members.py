"""Static group membership on a real broker (shared/messaging/static_member.py): a member that stops
leaves its group at once, and two live processes under one instance id do not both serve."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from shared.messaging.kafka import KafkaBus
from shared.messaging.static_member import DuplicateMember
from tests.shared.messaging.test_bus_behaviour import new_topic, publish

pytestmark = pytest.mark.integration

#: The broker drops a member that said nothing after its session timeout (aiokafka's default: 10 s).
SESSION_SECONDS = 10


def static_bus(servers: str, instance: str) -> KafkaBus:
    return KafkaBus(servers, client_id=f"static-{instance}", group_instance_id=instance)


async def fetch_from_both(first, second, count: int, timeout: float = 15.0) -> tuple[list, list]:
    got: tuple[list, list] = ([], [])
    deadline = time.monotonic() + timeout
    while len(got[0]) + len(got[1]) < count and time.monotonic() < deadline:
        for records, consumer in zip(got, (first, second), strict=True):
            records += await consumer.fetch(100)
    return got


async def test_a_static_member_that_stops_leaves_the_group_at_once(kafka_bootstrap_servers):
    """aiokafka sends no LeaveGroup for a static member: without ours, the one left would get the stopped
    one's partitions only once its session ran out."""
    a, b = (static_bus(kafka_bootstrap_servers, f"{name}-{uuid.uuid4().hex[:6]}") for name in "ab")
    topic, group = await new_topic(a, 4), f"g-{uuid.uuid4().hex}"
    async with b.group_consumer([topic], group) as staying:
        async with a.group_consumer([topic], group) as stopping:
            await publish(a, topic, 40, prefix="early")
            got_a, got_b = await fetch_from_both(stopping, staying, 40)
            assert got_a and got_b, "each member must hold partitions"
            await stopping.commit(got_a)
            await staying.commit(got_b)
        stopped_at = time.monotonic()
        await publish(b, topic, 40, prefix="late")
        late = {f"late{i}".encode() for i in range(40)}
        await fetch_keys(staying, late, timeout=SESSION_SECONDS)
    assert time.monotonic() - stopped_at < SESSION_SECONDS / 2


async def fetch_keys(consumer, keys: set[bytes], timeout: float) -> None:
    """Until every key came (some twice: at-least-once across the rebalance), or fail after ``timeout``."""
    missing = set(keys)
    async with asyncio.timeout(timeout):
        while missing:
            missing -= {record.key for record in await consumer.fetch(100)}


async def test_of_two_live_processes_under_one_instance_id_the_replaced_one_stops(kafka_bootstrap_servers):
    """The broker gives the member to the last to join; the replaced one would take it back at its next
    heartbeat, and so on, both serving every partition. It stops instead; the other serves on."""
    instance = f"same-{uuid.uuid4().hex[:6]}"
    older, newer = Member(kafka_bootstrap_servers, instance), Member(kafka_bootstrap_servers, instance)
    topic = await new_topic(older.bus, 2)
    await publish(older.bus, topic, 10, prefix="before")
    older.start(topic)
    await older.received(10)  # a member, holding every partition
    newer.start(topic)
    with pytest.raises(DuplicateMember):
        await asyncio.wait_for(older.task, SESSION_SECONDS)
    await publish(newer.bus, topic, 10, prefix="after")
    await newer.received(20)  # it read from the start (nothing committed), then what came after
    newer.stop.set()
    await newer.task  # no DuplicateMember here


async def test_a_static_member_that_left_its_group_joins_again_and_serves_on(kafka_bootstrap_servers):
    """Its member id is unknown to the broker afterwards, as a replaced one's is, but no other process holds
    its instance id: it joins again instead of stopping. (aiokafka makes a member idle too long leave so; a
    session that ran out ends alike.)"""
    member = Member(kafka_bootstrap_servers, f"alone-{uuid.uuid4().hex[:6]}")
    topic = await new_topic(member.bus, 2)
    await publish(member.bus, topic, 10, prefix="before")
    member.start(topic)
    await member.received(10)
    await member.consumer._consumer._coordinator._maybe_leave_group()  # aiokafka's step for an idle member
    await publish(member.bus, topic, 10, prefix="after")
    await member.received(30)  # rejoined: read from the start again (nothing committed), then what came after
    member.stop.set()
    await member.task


class Member:
    """A process's group consumer in a task of its own, fetching until asked to stop."""

    def __init__(self, servers: str, instance: str, group: str = "g-duplicate") -> None:
        self.bus, self.group = static_bus(servers, instance), f"{group}-{instance}"
        self.records: list = []
        self.stop = asyncio.Event()

    def start(self, topic: str) -> None:
        self.task = asyncio.create_task(self._consume(topic))

    async def _consume(self, topic: str) -> None:
        async with self.bus.group_consumer([topic], self.group) as consumer:
            self.consumer = consumer
            while not self.stop.is_set():
                self.records += await consumer.fetch(100)

    async def received(self, count: int) -> None:
        async with asyncio.timeout(SESSION_SECONDS):
            while len(self.records) < count and not self.task.done():
                await asyncio.sleep(0.05)
        assert len(self.records) >= count, self.task
