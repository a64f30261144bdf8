"""In-memory bus with Kafka's semantics that matter to us, for unit tests only.

Partitions by key, consumer groups that split partitions among members and resume from committed
offsets after a rebalance, group-less readers from the beginning or the end. Integration tests use
a real broker; this exists so handler and gateway tests run in milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from contracts.topics import TopicSpec
from shared.messaging.transport import MAX_RECORD_BYTES, Outgoing, Record, RecordTooLarge, gather_sends

TopicPartitionKey = tuple[str, int]


class InMemoryBus:
    def __init__(self) -> None:
        self._logs: dict[str, list[list[Record]]] = {}
        self._committed: dict[tuple[str, TopicPartitionKey], int] = {}
        self._members: dict[str, list[_Member]] = defaultdict(list)
        # Set (and replaced) on every append, waking every fetch waiting then. Not a Condition: a fetch
        # cancelled while a timeout also cancelled its Condition.wait() could leave the Condition's lock
        # held for good, and the next stop of a worker then waited forever (a rare hang of the suite).
        self._changed = asyncio.Event()
        self._round_robin = itertools.count()

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        for spec in specs:
            self._logs.setdefault(spec.name, [[] for _ in range(spec.partitions)])

    def _partitions(self, topic: str) -> list[list[Record]]:
        if topic not in self._logs:
            raise RuntimeError(f"topic {topic!r} does not exist")
        return self._logs[topic]

    async def _append(self, topic: str, value: bytes, key: str | None, headers) -> None:
        partitions = self._partitions(topic)
        index = next(self._round_robin) if key is None else zlib.crc32(key.encode())
        log = partitions[index % len(partitions)]
        log.append(
            Record(topic, index % len(partitions), len(log), key.encode() if key else None,
                   value, tuple(headers))
        )
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_for_change(self, timeout_ms: int) -> None:
        # asyncio.timeout, not wait_for: Python 3.11's wait_for returns normally when the event is set
        # in the loop turn a cancel arrives, and the cancel is lost (gh-86296). A reply reader cancelled
        # as a record came then fetched on for ever: the suite's rare teardown hang, named at last by
        # tests/support/hang_report.py.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_ms / 1000):
                await self._changed.wait()

    @asynccontextmanager
    async def publisher(self) -> AsyncIterator[_MemoryPublisher]:
        yield _MemoryPublisher(self)

    @asynccontextmanager
    async def group_consumer(self, topics: Sequence[str], group_id: str, *,
                             gather_ms: int | None = None) -> AsyncIterator[_Member]:
        member = _Member(self, group_id, list(topics))
        self._members[group_id].append(member)
        self._rebalance(group_id)
        try:
            yield member
        finally:
            self._members[group_id].remove(member)
            self._rebalance(group_id)

    def _rebalance(self, group_id: str) -> None:
        """Deal every partition of the group's topics round-robin; positions restart at commits."""
        members = self._members[group_id]
        for member in members:
            member.positions.clear()
        if not members:
            return
        topics = sorted({t for m in members for t in m.topics})
        all_tps = [(t, p) for t in topics for p in range(len(self._partitions(t)))]
        for i, tp in enumerate(all_tps):
            owner = members[i % len(members)]
            owner.positions[tp] = self._committed.get((group_id, tp), 0)

    @asynccontextmanager
    async def reader(self, topic: str, *, from_beginning: bool) -> AsyncIterator[_Reader]:
        partitions = self._partitions(topic)
        start = {(topic, p): 0 if from_beginning else len(log) for p, log in enumerate(partitions)}
        yield _Reader(self, start)


class _MemoryPublisher:
    def __init__(self, bus: InMemoryBus) -> None:
        self._bus = bus

    async def send(self, topic: str, value: bytes, *, key: str | None, headers) -> None:
        size = len(value) + len(key or "") + sum(len(name) + len(data) for name, data in headers)
        if size > MAX_RECORD_BYTES:
            raise RecordTooLarge(f"the record is {size} bytes, more than the bus carries ({MAX_RECORD_BYTES})")
        await self._bus._append(topic, value, key, headers)

    async def send_all(self, topic: str, records: Sequence[Outgoing]) -> list[BaseException | None]:
        return await gather_sends(self, topic, records)


class _Cursor:
    """Positions over a set of partitions; shared by group members and readers."""

    def __init__(self, bus: InMemoryBus, positions: dict[TopicPartitionKey, int]) -> None:
        self._bus = bus
        self.positions = positions

    def _take(self) -> list[Record]:
        taken: list[Record] = []
        for (topic, partition), position in self.positions.items():
            new = self._bus._logs[topic][partition][position:]
            taken.extend(new)
            self.positions[(topic, partition)] = position + len(new)
        return taken

    async def fetch(self, timeout_ms: int) -> list[Record]:
        records = self._take()
        if not records:
            await self._bus._wait_for_change(timeout_ms)
            records = self._take()
        return records


class _Member(_Cursor):
    def __init__(self, bus: InMemoryBus, group_id: str, topics: list[str]) -> None:
        super().__init__(bus, {})
        self.group_id = group_id
        self.topics = topics

    def assigned_partitions(self) -> int:
        return len(self.positions)

    async def commit(self, records: Sequence[Record]) -> None:
        for record in records:
            key = (self.group_id, (record.topic, record.partition))
            self._bus._committed[key] = max(self._bus._committed.get(key, 0), record.offset + 1)


class _Reader(_Cursor):
    async def lag(self) -> int:
        return sum(
            len(self._bus._logs[topic][partition]) - position
            for (topic, partition), position in self.positions.items()
        )
