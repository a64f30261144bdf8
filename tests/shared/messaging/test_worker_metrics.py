"""What a worker counts (shared/metrics/commands.py), served through the in-memory bus: each message
under its type and outcome, with its handling time; and the consumer it shows its readiness probe."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from prometheus_client import REGISTRY

from contracts import ErrorCode, MessageMeta
from contracts.system.v1 import Ping, Pong
from contracts.topics import TopicSpec
from shared.messaging.codec import encode_body, encode_headers
from shared.messaging.dispatch import CommandFailed, Dispatcher
from shared.messaging.memory import InMemoryBus
from shared.messaging.ping import ServiceIdentity, ping
from shared.messaging.requester import Requester
from shared.messaging.transport import ConsumerWatch
from shared.messaging.worker import run_worker

IDENTITY = ServiceIdentity("svc", "one")


class _Deps:
    identity = IDENTITY


async def _failing(_: Ping, meta: MessageMeta, deps) -> Pong:
    raise CommandFailed(ErrorCode.NOT_FOUND, "nothing here")


async def _crashing(_: Ping, meta: MessageMeta, deps) -> Pong:
    raise ZeroDivisionError("boom")


def served(message_type: str, outcome: str) -> float:
    labels = {"message_type": message_type, "outcome": outcome}
    return REGISTRY.get_sample_value("scimflow_commands_served_total", labels) or 0.0


def timed(message_type: str) -> float:
    labels = {"message_type": message_type}
    return REGISTRY.get_sample_value("scimflow_command_handling_seconds_count", labels) or 0.0


class Worker:
    """A worker serving ``handler`` for Ping on a topic of its own, and a requester asking it."""

    def __init__(self, handler) -> None:
        self.bus, self.handler = InMemoryBus(), handler
        self.topic, self.replies = f"t.{uuid.uuid4().hex[:8]}", f"r.{uuid.uuid4().hex[:8]}"
        self.watch = ConsumerWatch()

    async def __aenter__(self) -> Worker:
        await self.bus.ensure_topics([TopicSpec(self.topic, 3), TopicSpec(self.replies, 1)])
        self._stop, ready = asyncio.Event(), asyncio.Event()
        self._task = asyncio.create_task(run_worker(
            self.bus, topics=[self.topic], group_id="svc", dispatch=Dispatcher({Ping: self.handler}, _Deps()),
            source=IDENTITY.source, stop=self._stop, ready=ready, watch=self.watch))
        await ready.wait()
        return self

    async def __aexit__(self, *_) -> None:
        self._stop.set()
        await self._task

    async def ask_ping(self):
        stop = asyncio.Event()
        async with self.bus.publisher() as publisher, self.bus.reader(self.replies, from_beginning=False) as reader:
            requester = Requester(publisher, self.replies, source="test", timeout=5.0)
            consuming = asyncio.create_task(requester.consume_replies(reader, stop))
            try:
                return await requester.ask(Ping(), topic=self.topic, key="k")
            finally:
                stop.set()
                await consuming

    async def publish_raw(self, headers: list[tuple[str, bytes]]) -> None:
        """A record on the ping's key (its partition, served before the ping that follows it)."""
        async with self.bus.publisher() as publisher:
            await publisher.send(self.topic, encode_body(Ping()), key="k", headers=headers)


@pytest.mark.parametrize(("handler", "outcome"), [(ping, "ok"), (_failing, "notFound"), (_crashing, "internal")])
async def test_a_served_command_counts_under_its_type_and_outcome_with_its_time(handler, outcome):
    before, timed_before = served(Ping.TYPE, outcome), timed(Ping.TYPE)
    async with Worker(handler) as worker:
        await worker.ask_ping()
    assert served(Ping.TYPE, outcome) == before + 1
    assert timed(Ping.TYPE) == timed_before + 1


async def test_an_expired_command_counts_as_expired_and_takes_no_handling_time():
    expired = MessageMeta(message_type=Ping.TYPE, deadline_ms=int(time.time() * 1000) - 1)
    before, ok_before, timed_before = served(Ping.TYPE, "expired"), served(Ping.TYPE, "ok"), timed(Ping.TYPE)
    async with Worker(ping) as worker:
        await worker.publish_raw(encode_headers(expired))
        await worker.ask_ping()  # served after the expired one: it was dropped by then
    assert served(Ping.TYPE, "expired") == before + 1
    assert served(Ping.TYPE, "ok") == ok_before + 1  # the ping only
    assert timed(Ping.TYPE) == timed_before + 1


async def test_made_up_types_and_unreadable_headers_share_one_label():
    """Anyone can write any header on a topic: a made-up type must not become a label of its own."""
    made_up = MessageMeta(message_type=f"made.up_{uuid.uuid4().hex[:6]}.v1")
    unknown_before, unreadable_before = served("unknown", "unknownCommand"), served("unknown", "unreadable")
    async with Worker(ping) as worker:
        await worker.publish_raw(encode_headers(made_up))
        await worker.publish_raw([("deadline", b"not a number")])
        await worker.ask_ping()
    assert served("unknown", "unknownCommand") == unknown_before + 1
    assert served("unknown", "unreadable") == unreadable_before + 1
    assert served(made_up.message_type, "unknownCommand") == 0.0


async def test_the_watch_shows_the_consumers_partitions_while_it_serves():
    async with Worker(ping) as worker:
        assert worker.watch.assigned_partitions() == 3
    assert worker.watch.assigned_partitions() == 0
