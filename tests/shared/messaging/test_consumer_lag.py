"""Issue 26: each worker's consumer lag per partition on its /metrics (shared/metrics/consumers.py), on the
real broker: the records after the group's last commit, per partition this copy holds; gone from the gauge
once the consumer stops (another copy, or nobody, holds them then)."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from shared.messaging.kafka import KafkaBus
from tests.shared.messaging.test_bus_behaviour import fetch_until, new_topic, publish


def lags(group: str) -> dict[str, float]:
    return {f"{sample.labels['topic']}/{sample.labels['partition']}": sample.value
            for metric in REGISTRY.collect() if metric.name == "scimflow_consumer_lag_records"
            for sample in metric.samples if sample.labels["group"] == group}


async def test_the_lag_is_what_was_not_committed_per_partition_and_goes_with_the_consumer(kafka_bootstrap_servers):
    bus, group = KafkaBus(kafka_bootstrap_servers), f"lag-{uuid.uuid4().hex[:8]}"
    topic = await new_topic(bus, partitions=1)
    await publish(bus, topic, 5)
    async with bus.group_consumer([topic], group) as consumer:
        records = await fetch_until(consumer, 5)
        assert len(records) == 5
        await consumer.commit(records[:2])
        await consumer.fetch(100)  # the gauge is set as the copy fetches
        assert lags(group) == {f"{topic}/0": 3}
        await consumer.commit(records)
        await consumer.fetch(100)
        assert lags(group) == {f"{topic}/0": 0}
    assert lags(group) == {}
