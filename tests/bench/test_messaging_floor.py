"""bench/messaging.py: the do-nothing request/reply measured through the real broker (no timing assertions)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid

import pytest

from bench.messaging import Floor, measure, serve, table
from bench.stats import Timings


def test_the_table_shows_each_concurrency_with_cpu_per_ask_of_every_process() -> None:
    floors = [Floor(1, Timings(latencies=[0.004, 0.006], wall=0.01), {"asker": 0.002, "worker": 0.004}),
              Floor(32, Timings(latencies=[0.01] * 4, wall=0.002), {"asker": 0.0004, "worker": 0.0})]
    lines = table(floors, ["asker", "worker"]).splitlines()
    assert lines[0].split()[:3] == ["C", "asks", "asks/s"] and "worker cpu ms/ask" in lines[0]
    assert lines[2].split() == ["1", "2", "200", "5.00", "5.98", "0", "1.000", "2.000", "3.000"]
    assert lines[3].split() == ["32", "4", "2,000", "10.00", "10.00", "0", "0.100", "0.000", "0.100"]


@pytest.mark.integration
async def test_every_ask_is_answered_through_the_broker_at_each_concurrency(kafka_bootstrap_servers) -> None:
    topic = f"test.messaging.{uuid.uuid4().hex[:8]}"
    worker = asyncio.create_task(serve(kafka_bootstrap_servers, topic))
    try:
        floors = await measure(kafka_bootstrap_servers, topic, 40, [1, 8], {"asker": os.getpid()})
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    assert [(f.concurrency, f.timings.ops, f.timings.error_count) for f in floors] == [(1, 40, 0), (8, 40, 0)]
    # /proc counts CPU in 10 ms units: 40 asks at C=8 may take less than one (this failed once in CI);
    # the 40 at C=1 take ~25 ms of the asker's CPU.
    assert all(f.cpu_seconds["asker"] >= 0 for f in floors) and sum(f.cpu_seconds["asker"] for f in floors) > 0
