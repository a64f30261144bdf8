"""The bus interface the messaging core is written against.

Two implementations exist: ``kafka.KafkaBus`` (aiokafka) and ``memory.InMemoryBus`` (unit tests).
One behavioural suite (tests/shared/messaging) runs against both, so they cannot drift apart.
"""

from __future__ import annotations

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


class Publisher(Protocol):
    async def send(
        self, topic: str, value: bytes, *, key: str | None, headers: list[tuple[str, bytes]]
    ) -> None:
        """Return once the bus has durably accepted the record; RecordTooLarge if it never will."""


class GroupConsumer(Protocol):
    """A member of a consumer group: partitions are shared among members; offsets commit manually."""

    async def fetch(self, timeout_ms: int) -> list[Record]: ...

    async def commit(self, records: Sequence[Record]) -> None:
        """Mark everything up to and including these records as done, per partition."""


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
        self, topics: Sequence[str], group_id: str
    ) -> AbstractAsyncContextManager[GroupConsumer]: ...

    def reader(
        self, topic: str, *, from_beginning: bool
    ) -> AbstractAsyncContextManager[TopicReader]: ...
