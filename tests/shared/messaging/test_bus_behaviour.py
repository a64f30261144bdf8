"""One behavioural suite for the bus, run against the in-memory bus and a real Kafka broker.

Whatever the unit tests assume of ``InMemoryBus`` is checked here to hold for Kafka too.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from contracts import ErrorCode, MessageMeta
from contracts.system.v1 import Ping, Pong
from contracts.topics import TopicSpec
from shared.messaging.dispatch import CommandFailed, Dispatcher
from shared.messaging.kafka import KafkaBus
from shared.messaging.memory import InMemoryBus
from shared.messaging.ping import ServiceIdentity, ping
from shared.messaging.requester import RemoteError, Requester, RequestTimeout, unwrap
from shared.messaging.transport import MAX_RECORD_BYTES, RecordTooLarge
from shared.messaging.worker import run_worker


@pytest.fixture(params=["memory", pytest.param("kafka", marks=pytest.mark.integration)])
def bus(request):
    if request.param == "memory":
        return InMemoryBus()
    return KafkaBus(request.getfixturevalue("kafka_bootstrap_servers"), client_id="behaviour-test")


async def new_topic(bus, partitions: int = 3) -> str:
    name = f"test.{uuid.uuid4().hex[:12]}"
    await bus.ensure_topics([TopicSpec(name, partitions)])
    return name


async def fetch_until(consumer, count: int, timeout: float = 15.0) -> list:
    records: list = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        records += await consumer.fetch(200)
    return records


async def publish(bus, topic: str, n: int, prefix: str = "k") -> None:
    async with bus.publisher() as publisher:
        for i in range(n):
            await publisher.send(topic, f"v{i}".encode(), key=f"{prefix}{i}", headers=[("h", b"x")])


async def test_ensure_topics_is_idempotent(bus):
    topic = await new_topic(bus)
    await bus.ensure_topics([TopicSpec(topic, 3)])  # no error the second time


async def test_group_consumer_receives_key_value_headers(bus):
    topic = await new_topic(bus)
    async with bus.group_consumer([topic], f"g-{uuid.uuid4().hex}") as consumer:
        await publish(bus, topic, 1)
        [record] = await fetch_until(consumer, 1)
    assert (record.key, record.value, record.headers) == (b"k0", b"v0", (("h", b"x"),))


async def test_same_key_keeps_order(bus):
    topic = await new_topic(bus)
    async with bus.publisher() as publisher:
        for i in range(20):
            await publisher.send(topic, str(i).encode(), key="same-user", headers=[])
    async with bus.reader(topic, from_beginning=True) as reader:
        records = await fetch_until(reader, 20)
    assert [int(r.value) for r in records] == list(range(20))
    assert len({r.partition for r in records}) == 1


async def test_uncommitted_records_are_redelivered_committed_are_not(bus):
    topic, group = await new_topic(bus, 1), f"g-{uuid.uuid4().hex}"
    await publish(bus, topic, 4)
    async with bus.group_consumer([topic], group) as consumer:
        records = await fetch_until(consumer, 4)
        await consumer.commit(records[:2])
    async with bus.group_consumer([topic], group) as consumer:
        again = await fetch_until(consumer, 2)
    assert [r.value for r in again] == [b"v2", b"v3"]


async def test_group_members_share_partitions(bus):
    topic, group = await new_topic(bus, 4), f"g-{uuid.uuid4().hex}"
    async with bus.group_consumer([topic], group) as first, bus.group_consumer([topic], group) as second:
        await publish(bus, topic, 40)
        got_first, got_second = await asyncio.gather(fetch_until(first, 40, 6), fetch_until(second, 40, 6))
    assert got_first and got_second, "both members must receive work"
    assert sorted(r.value for r in got_first + got_second) == sorted(f"v{i}".encode() for i in range(40))


async def test_reader_from_end_sees_only_new_records_and_reports_lag(bus):
    topic = await new_topic(bus)
    await publish(bus, topic, 3, prefix="old")
    async with bus.reader(topic, from_beginning=False) as tail, bus.reader(topic, from_beginning=True) as full:
        assert await full.lag() == 3 and await tail.lag() == 0
        await publish(bus, topic, 2, prefix="new")
        assert sorted(r.key for r in await fetch_until(tail, 2)) == [b"new0", b"new1"]
        assert len(await fetch_until(full, 5)) == 5
        assert await full.lag() == 0


class _Deps:
    identity = ServiceIdentity("svc", "one")


async def _failing(_: Ping, meta: MessageMeta, deps) -> Pong:
    raise CommandFailed(ErrorCode.NOT_FOUND, "nothing here")


async def _crashing(_: Ping, meta: MessageMeta, deps) -> Pong:
    raise ZeroDivisionError("boom")


async def serve(bus, topic: str, handler):
    stop, ready = asyncio.Event(), asyncio.Event()
    dispatch = Dispatcher({Ping: handler}, _Deps())
    task = asyncio.create_task(run_worker(bus, topics=[topic], group_id=f"svc-{topic}", dispatch=dispatch,
                                          source="svc/one", stop=stop, ready=ready))
    await ready.wait()
    return stop, task


async def ask_ping(bus, topic: str, timeout: float = 10.0):
    replies = await new_topic(bus, 1)
    stop = asyncio.Event()
    async with bus.publisher() as publisher, bus.reader(replies, from_beginning=False) as reader:
        requester = Requester(publisher, replies, source="test", timeout=timeout)
        consuming = asyncio.create_task(requester.consume_replies(reader, stop))
        try:
            return await requester.ask(Ping(), topic=topic, key="k")
        finally:
            stop.set()
            await consuming


@pytest.mark.parametrize(
    ("handler", "expected"),
    [(ping, None), (_failing, ErrorCode.NOT_FOUND), (_crashing, ErrorCode.INTERNAL)],
)
async def test_every_command_gets_a_reply(bus, handler, expected):
    """Success, business failure and crash all answer; a crash never leaks its message."""
    topic = await new_topic(bus)
    stop, task = await serve(bus, topic, handler)
    try:
        reply = await ask_ping(bus, topic)
    finally:
        stop.set()
        await task
    if expected is None:
        assert unwrap(reply, Pong) == Pong(service="svc", instance="one")
    else:
        with pytest.raises(RemoteError) as raised:
            unwrap(reply, Pong)
        assert raised.value.code == expected
        assert "boom" not in raised.value.detail


async def test_no_worker_means_timeout_not_a_hang(bus):
    topic = await new_topic(bus)
    started = time.monotonic()
    with pytest.raises(RequestTimeout):
        await ask_ping(bus, topic, timeout=1.0)
    assert time.monotonic() - started < 5


async def test_expired_commands_are_dropped_not_served(bus):
    """A command whose asker gave up must not run later (a 503'd create must not appear)."""
    topic = await new_topic(bus, 1)
    from shared.messaging.codec import encode_body, encode_headers

    calls = []

    async def counting(cmd, meta, deps):
        calls.append(meta.message_id)
        return await ping(cmd, meta, deps)

    expired = MessageMeta(message_type=Ping.TYPE, deadline_ms=int(time.time() * 1000) - 1)
    async with bus.publisher() as publisher:
        await publisher.send(topic, encode_body(Ping()), key="k", headers=encode_headers(expired))
    stop, task = await serve(bus, topic, counting)
    try:
        reply = await ask_ping(bus, topic)  # served after the expired one, on the same partition
    finally:
        stop.set()
        await task
    assert reply.ok and len(calls) == 1


async def test_records_above_kafkas_default_size_pass_and_those_above_ours_are_refused(bus):
    """Kafka's default limit is 1 MiB, less than one reply of a 10 000-member group; ours is
    MAX_RECORD_BYTES on every topic we create, and the publisher says when a record exceeds it."""
    topic = await new_topic(bus, 1)
    big = b"m" * (3 * 1024 * 1024)
    async with bus.publisher() as publisher, bus.reader(topic, from_beginning=True) as reader:
        with pytest.raises(RecordTooLarge):
            await publisher.send(topic, b"x" * (MAX_RECORD_BYTES + 1), key="k", headers=[])
        await publisher.send(topic, big, key="k", headers=[])  # the publisher still works
        assert [record.value for record in await fetch_until(reader, 1)] == [big]


async def test_a_reply_too_large_for_the_bus_is_answered_too_many_and_the_worker_goes_on(bus):
    calls = []

    async def huge_then_small(cmd, meta, deps):
        calls.append(meta.message_id)
        name = "s" * (MAX_RECORD_BYTES + 1) if len(calls) == 1 else "svc"
        return Pong(service=name, instance="one")

    topic = await new_topic(bus)
    stop, task = await serve(bus, topic, huge_then_small)
    try:
        first = await ask_ping(bus, topic)
        second = await ask_ping(bus, topic)
    finally:
        stop.set()
        await task
    with pytest.raises(RemoteError) as raised:
        unwrap(first, Pong)
    assert raised.value.code == ErrorCode.TOO_MANY and "ask for less" in raised.value.detail
    assert unwrap(second, Pong) == Pong(service="svc", instance="one")


async def test_a_command_too_large_for_the_bus_is_a_too_large_error_not_a_crash(bus):
    topic = await new_topic(bus)
    replies = await new_topic(bus, 1)
    async with bus.publisher() as publisher:
        requester = Requester(publisher, replies, source="test", timeout=5.0)
        with pytest.raises(RemoteError) as raised:
            await requester.ask(Pong(service="s" * (MAX_RECORD_BYTES + 1), instance="i"), topic=topic, key="k")
    assert raised.value.code == ErrorCode.TOO_LARGE


async def test_send_all_keeps_each_keys_order_and_partition_and_refuses_only_the_oversized(bus):
    topic = await new_topic(bus, partitions=3)
    records = [(f"k{n % 5}", f"v{n}".encode(), [("h", b"x")]) for n in range(40)]
    records.insert(7, ("k1", b"x" * (MAX_RECORD_BYTES + 1), []))
    async with bus.publisher() as publisher:
        outcomes = await publisher.send_all(topic, records)
        for key in ("k0", "k3"):  # one by one, as every other sender sends: the partition send_all chose
            await publisher.send(topic, b"alone", key=key, headers=[])
    assert [type(outcome) for outcome in outcomes] == [type(None)] * 7 + [RecordTooLarge] + [type(None)] * 33
    async with bus.group_consumer([topic], f"g-{uuid.uuid4().hex}") as consumer:
        got = await fetch_until(consumer, 42)
    assert len(got) == 42
    for key in ("k0", "k1", "k2", "k3", "k4"):
        mine = [record for record in got if record.key == key.encode()]
        assert [record.value for record in mine if record.value != b"alone"] == [
            value for k, value, _ in records if k == key and len(value) < 100]
        assert len({record.partition for record in mine}) == 1
        assert all(record.headers == (("h", b"x"),) for record in mine if record.value != b"alone")


async def test_a_gathering_consumer_gets_every_record_and_one_that_comes_alone(bus):
    """``gather_ms``: the broker may hold a fetch for more records; a lone record still comes (once the
    wait is over), and a burst comes whole."""
    topic = await new_topic(bus)
    async with bus.group_consumer([topic], f"g-{uuid.uuid4().hex}", gather_ms=50) as consumer:
        await publish(bus, topic, 1, prefix="alone")
        assert [record.key for record in await fetch_until(consumer, 1)] == [b"alone0"]
        await publish(bus, topic, 30)
        assert sorted(record.key for record in await fetch_until(consumer, 30)) == sorted(
            f"k{i}".encode() for i in range(30))
