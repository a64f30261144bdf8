"""How far behind each consumer group is, per partition it serves: the records after its last commit.

Each copy reports the partitions it holds, as of its last fetch or commit (the partition's end from the
fetch's answer, less the offset the group committed). A partition that moved to another copy is dropped
from this one's gauge, so summing over copies counts each partition once. A group with no copy running
reports nothing here: ``scimflow status`` asks the broker for that (shared/messaging/group_status.py).
"""

from __future__ import annotations

from prometheus_client import Gauge

CONSUMER_LAG = Gauge(
    "scimflow_consumer_lag_records", "Records on a partition after the group's last commit, by the copy serving it.",
    ["group", "topic", "partition"])


class LagGauge:
    """One group consumer's share of the gauge: the partitions it holds now."""

    def __init__(self, group: str) -> None:
        self._group = group
        self._shown: set[tuple[str, int]] = set()

    def show(self, lags: dict[tuple[str, int], int]) -> None:
        """The lag of each partition held (topic, partition) -> records; the ones no longer held are dropped."""
        for topic, partition in self._shown - lags.keys():
            CONSUMER_LAG.remove(self._group, topic, str(partition))
        for (topic, partition), lag in lags.items():
            CONSUMER_LAG.labels(self._group, topic, str(partition)).set(lag)
        self._shown = set(lags)

    def clear(self) -> None:
        self.show({})
