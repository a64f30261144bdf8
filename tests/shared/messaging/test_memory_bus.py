"""The in-memory bus and the requester's reply reader end when cancelled, whatever arrives meanwhile
(Python 3.11's asyncio.wait_for loses a cancel that comes in the loop turn its awaitable completes,
gh-86296: a reply reader then fetched on for ever and a fixture's teardown hung)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest

from contracts.topics import TopicSpec
from shared.messaging.memory import InMemoryBus
from shared.messaging.requester import open_requester


async def test_a_fetch_cancelled_in_the_turn_a_record_arrives_ends_cancelled():
    bus = InMemoryBus()
    await bus.ensure_topics([TopicSpec("t", 1)])
    async with bus.reader("t", from_beginning=False) as reader, bus.publisher() as publisher:
        fetch = asyncio.create_task(reader.fetch(10_000))
        await asyncio.sleep(0)  # the fetch now waits for a change
        await publisher.send("t", b"v", key=None, headers=[])  # the change, and in the same turn ...
        fetch.cancel()  # ... the cancel
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(fetch, 5)


class SwallowingBus(InMemoryBus):
    """Its readers' fetches lose the first cancel, as a library's wait_for can on Python 3.11."""

    @asynccontextmanager
    async def reader(self, topic: str, *, from_beginning: bool):
        async with super().reader(topic, from_beginning=from_beginning) as reader:
            fetch, lost = reader.fetch, []

            async def losing_fetch(timeout_ms: int):
                try:
                    return await fetch(timeout_ms)
                except asyncio.CancelledError:
                    if lost:
                        raise
                    lost.append(asyncio.current_task().uncancel())
                    return []

            reader.fetch = losing_fetch
            yield reader


async def test_the_reply_reader_stops_when_its_requester_closes_even_if_the_cancel_is_lost():
    async def open_and_close():
        async with open_requester(SwallowingBus(), instance="i", source="test", timeout=1.0):
            await asyncio.sleep(0.05)  # the reader is fetching

    closing = asyncio.create_task(open_and_close())
    done, _ = await asyncio.wait({closing}, timeout=5)
    assert closing in done, "the reply reader went on reading"
