"""Asking services over Kafka directly, as the gateway does, but recording who answered."""

from __future__ import annotations

import asyncio
import uuid

from contracts.topics import TopicSpec
from shared.messaging.kafka import KafkaBus
from shared.messaging.requester import Requester


async def ask_many(bootstrap: str, commands: list[tuple[object, str, str]], tenant_id: str | None = None):
    """Ask over Kafka directly and return (reply, source header) pairs, to see who served what."""
    bus = KafkaBus(bootstrap, client_id="test-client")
    replies = TopicSpec(f"scim.replies.test-{uuid.uuid4().hex[:8]}", 1)
    await bus.ensure_topics([replies])
    sources: dict[str, str] = {}
    async with bus.publisher() as publisher, bus.reader(replies.name, from_beginning=False) as reader:
        requester = Requester(publisher, replies.name, source="test", timeout=20)
        original = requester._resolve

        def remember_source(headers, value):
            headers = dict(headers)
            sources[headers["correlation_id"].decode()] = headers["source"].decode()
            original(headers.items(), value)

        requester._resolve = remember_source
        stop = asyncio.Event()
        consuming = asyncio.create_task(requester.consume_replies(reader, stop))
        try:
            return await asyncio.gather(*(
                requester.ask(cmd, topic=topic, key=key, tenant_id=tenant_id) for cmd, topic, key in commands
            )), sources
        finally:
            stop.set()
            await consuming
