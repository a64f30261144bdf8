"""The asking side's metrics (shared/metrics/requests.py) on the in-memory bus: a request counts as
waiting until its reply or its deadline, and one that times out is counted."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from contracts.system.v1 import Ping
from contracts.topics import TopicSpec
from shared.messaging.memory import InMemoryBus
from shared.messaging.requester import Requester, RequestTimeout


def sample(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"message_type": Ping.TYPE}) or 0.0


async def test_an_unanswered_request_waits_then_counts_as_a_timeout():
    bus = InMemoryBus()
    await bus.ensure_topics([TopicSpec("nobody.serves", 1), TopicSpec("replies", 1)])
    timeouts_before, waiting_before = sample("scimflow_request_timeouts_total"), sample("scimflow_requests_awaiting_reply")
    async with bus.publisher() as publisher:
        requester = Requester(publisher, "replies", source="test", timeout=0.3)
        asking = asyncio.create_task(requester.ask(Ping(), topic="nobody.serves", key="k"))
        await asyncio.sleep(0)  # one turn: the task runs up to its wait (it counts itself before any await)
        assert sample("scimflow_requests_awaiting_reply") == waiting_before + 1
        with pytest.raises(RequestTimeout):
            await asking
    assert sample("scimflow_request_timeouts_total") == timeouts_before + 1
    assert sample("scimflow_requests_awaiting_reply") == waiting_before
