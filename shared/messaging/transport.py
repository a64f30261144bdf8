"""The bus interface the messaging core is written against.

Two implementations exist: ``kafka.KafkaBus`` (aiokafka) and ``memory.InMemoryBus`` (unit tests).
One behavioural suite (tests/shared/messaging) runs against both, so they cannot drift apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from contracts.topics import TopicSpec

#: The largest record (key, value, headers) the bus carries. Kafka's default is 1 MiB, which one reply
#: of a 10 000-member group exceeds; our topics, clients and local broker allow this much.
MAX_RECORD_BYTES = 8 * 1024 * 1024
MAX_RECORD_MIB = MAX_RECORD_BYTES // 2**20  # as errors say it


class RecordTooLarge(Exception):
    """The bus refused a record for its size: the sender answers otherwise, it never stops over it."""


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


#: A record to publish: its key, value and headers.
Outgoing = tuple[str | None, bytes, list[tuple[str, bytes]]]


class Publisher(Protocol):
    async def send(
        self, topic: str, value: bytes, *, key: str | None, headers: list[tuple[str, bytes]]
    ) -> None:
        """Return once the bus has durably accepted the record; RecordTooLarge if it never will."""

    async def send_all(self, topic: str, records: Sequence[Outgoing]) -> list[BaseException | None]:
        """Send the records at once, a key's in the order given; each one's outcome, in that order: None
        once the bus durably accepted it, else why not (RecordTooLarge if it never will)."""


async def gather_sends(publisher: Publisher, topic: str, records: Sequence[Outgoing]) -> list[BaseException | None]:
    """``send_all`` as one ``send`` a record, all begun at once (in order): for publishers that have no
    batches of their own to fill."""
    sends = (publisher.send(topic, value, key=key, headers=headers) for key, value, headers in records)
    return list(await asyncio.gather(*sends, return_exceptions=True))


class GroupConsumer(Protocol):
    """A member of a consumer group: partitions are shared among members; offsets commit manually."""

    async def fetch(self, timeout_ms: int) -> list[Record]: ...

    async def commit(self, records: Sequence[Record]) -> None:
        """Mark everything up to and including these records as done, per partition."""

    def assigned_partitions(self) -> int:
        """How many partitions the group gives this member now (0 until it joined, or when it has none)."""


class ConsumerWatch:
    """A worker's group consumer while it serves (run_worker keeps it here), for its readiness probe."""

    def __init__(self) -> None:
        self.consumer: GroupConsumer | None = None

    def assigned_partitions(self) -> int:
        return 0 if self.consumer is None else self.consumer.assigned_partitions()


class TopicReader(Protocol):
    """Reads every partition of one topic without a group (replies, compacted state)."""

    async def fetch(self, timeout_ms: int) -> list[Record]: ...

    async def lag(self) -> int:
        """Records published but not yet fetched; 0 means caught up."""


class Bus(Protocol):
    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        """Create the topics that do not exist yet (idempotent)."""

    def publisher(self) -> AbstractAsyncContextManager[Publisher]: ...

    def group_consumer(
        self, topics: Sequence[str], group_id: str, *, gather_ms: int | None = None
    ) -> AbstractAsyncContextManager[GroupConsumer]:
        """``gather_ms``: a fetch may wait this long for more records to come with the first (the
        in-memory bus has nothing to save and answers at once)."""

    def reader(
        self, topic: str, *, from_beginning: bool
    ) -> AbstractAsyncContextManager[TopicReader]: ...
