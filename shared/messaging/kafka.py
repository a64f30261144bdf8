"""aiokafka implementation of the bus (shared/messaging/transport.py).

Every client it makes connects as the bus's ``KafkaClientSecurity`` says (security.py), and one the broker
turns away at start raises ``BrokerUnreachable`` saying why, for the process to exit on in one clear line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    CommitFailedError,
    IllegalStateError,
    KafkaConnectionError,
    MessageSizeTooLargeError,
)
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from contracts.topics import TopicSpec
from shared.messaging.partitioner import KeyedPartitioner
from shared.messaging.security import PLAINTEXT, KafkaClientSecurity, refusal_reason
from shared.messaging.static_member import leave_on_stop, stop_when_replaced
from shared.messaging.transport import MAX_RECORD_BYTES, Outgoing, Record, RecordTooLarge
from shared.metrics.consumers import LagGauge

if TYPE_CHECKING:
    from shared.settings import CommonSettings

log = logging.getLogger(__name__)

# How long the broker holds a fetch that finds nothing; a record arriving meanwhile ends it at once.
# The one way it delays a record: a fetch sent while another partition's records still wait in the
# consumer's buffer leaves that partition out, and it is fetched again only once this one returns.
# aiokafka sends no such fetch until the buffered records are 100 ms old (prefetch_backoff), and the
# worker's pipeline takes every fetched record at once unless MAX_IN_FLIGHT are in hand, so here a
# long wait costs no latency (bench: equal at C=32 and C=200, better at C=1) and saves the polling:
# at 50 ms the idle system's 7 consumers took 19 % of a core (broker 10 %), at 500 ms 7 %.
FETCH_MAX_WAIT_MS = 500

TOPIC_ALREADY_EXISTS = 36
#: A produce request's batch for one partition at most (a larger record goes alone in its own).
MAX_BATCH_BYTES = 1024 * 1024
_PARTITIONER = KeyedPartitioner()
#: aiokafka's default: a crashed copy's partitions move after 10 s (one restarted under its own instance id
#: takes them back at once: static membership, static_member.py).
SESSION_TIMEOUT_MS = 10_000
#: What a gathering fetch waits for at most (``group_consumer(gather_ms=...)``).
GATHER_BYTES = 1024 * 1024


class BrokerUnreachable(RuntimeError):
    """No broker took a client at its start: none listening, a refused login, an untrusted certificate."""


class KafkaBus:
    def __init__(self, bootstrap_servers: str, *, client_id: str = "scimflow",
                 group_instance_id: str | None = None, security: KafkaClientSecurity = PLAINTEXT,
                 session_timeout_ms: int = SESSION_TIMEOUT_MS) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        #: The process's name in every consumer group it joins (static membership, static_member.py);
        #: None: a new member each time.
        self.group_instance_id = group_instance_id
        self.security = security
        #: How long a group waits for a member that stopped heartbeating (crashed) before moving its partitions.
        self.session_timeout_ms = session_timeout_ms

    @classmethod
    def configured(cls, settings: CommonSettings, *, client_id: str, group_instance_id: str | None = None) -> KafkaBus:
        """The bus a service process uses: the brokers and the security its settings name."""
        return cls(settings.kafka_bootstrap_servers, client_id=client_id, group_instance_id=group_instance_id,
                   security=settings.kafka_security(), session_timeout_ms=settings.kafka_session_timeout_ms)

    def connection(self) -> dict[str, Any]:
        """What every client of this bus is given to reach the brokers: where, as whom, how secured."""
        return {"bootstrap_servers": self.bootstrap_servers, "client_id": self.client_id,
                **self.security.client_kwargs()}

    async def _start(self, start: Callable[[], Awaitable[None]], close: Callable[[], Awaitable[Any]]) -> None:
        """Start a client; one the brokers turn away is closed (no unclosed-client warning later) and
        raises ``BrokerUnreachable`` with their reason."""
        try:
            await start()
        except KafkaConnectionError:
            await close()
            reason = await refusal_reason(self.bootstrap_servers, self.security)
            raise BrokerUnreachable(
                f"cannot connect to Kafka at {self.bootstrap_servers} over {self.security.describe()}: {reason}"
            ) from None

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        admin = AIOKafkaAdminClient(**self.connection())
        await self._start(admin.start, admin.close)
        try:
            existing = set(await admin.list_topics())
            missing = [spec for spec in specs if spec.name not in existing]
            if missing:
                await _create_topics(admin, missing)
        finally:
            await admin.close()

    @asynccontextmanager
    async def publisher(self) -> AsyncIterator[KafkaPublisher]:
        # Idempotent producer (KIP-98): broker-side dedup of our own retries, per-partition order kept.
        producer = AIOKafkaProducer(
            **self.connection(),
            enable_idempotence=True,
            acks="all",
            # No linger: records batch anyway while the produce request in flight is answered (aiokafka
            # keeps one per broker); a linger only delayed a lone record (bench: create at C=4 +15-40 %,
            # the echo at C=1 x2, C=32 equal).
            linger_ms=0,
            max_request_size=MAX_RECORD_BYTES,
            # Records that wait for the request in flight join one batch per partition up to this size
            # (aiokafka's default, 16 KiB, split a relay's round of events into several requests).
            max_batch_size=MAX_BATCH_BYTES,
            partitioner=_PARTITIONER,
        )
        await self._start(producer.start, producer.stop)
        try:
            yield KafkaPublisher(producer)
        finally:
            await producer.stop()

    @asynccontextmanager
    async def group_consumer(
        self, topics: Sequence[str], group_id: str, *, gather_ms: int | None = None
    ) -> AsyncIterator[KafkaGroupConsumer]:
        consumer = AIOKafkaConsumer(
            *topics,
            **self.connection(),
            group_id=group_id,
            group_instance_id=self.group_instance_id,
            session_timeout_ms=self.session_timeout_ms,
            enable_auto_commit=False,  # commit only after the reply went out: at-least-once
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=MAX_RECORD_BYTES,
            **_gathering(gather_ms),
        )
        await self._start(consumer.start, consumer.stop)
        if self.group_instance_id is not None:
            leave_on_stop(consumer, self.group_instance_id)
            stop_when_replaced(consumer, self.group_instance_id)
        lag = LagGauge(group_id)
        try:
            yield KafkaGroupConsumer(consumer, lag)
        finally:
            lag.clear()
            await consumer.stop()

    @asynccontextmanager
    async def reader(self, topic: str, *, from_beginning: bool) -> AsyncIterator[KafkaTopicReader]:
        consumer = AIOKafkaConsumer(
            **self.connection(),
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            max_partition_fetch_bytes=MAX_RECORD_BYTES,
        )
        await self._start(consumer.start, consumer.stop)
        try:
            yield await KafkaTopicReader.attach(consumer, topic, from_beginning)
        finally:
            await consumer.stop()


def _too_large(key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> bool:
    """As aiokafka's send() measures a record against the limit (its size in a batch)."""
    return DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers) > MAX_RECORD_BYTES


def _gathering(gather_ms: int | None) -> dict[str, int]:
    """A group's fetch settings. ``gather_ms``: the broker answers a fetch once GATHER_BYTES came or
    ``gather_ms`` passed, for a consumer that takes records in batches (the webhooks' ingest): without
    it each fetch came back with the first record, one request per few records (bench/RESULTS.md, events' cost)."""
    if gather_ms is None:
        return {"fetch_max_wait_ms": FETCH_MAX_WAIT_MS}
    return {"fetch_max_wait_ms": gather_ms, "fetch_min_bytes": GATHER_BYTES}


async def _create_topics(admin: AIOKafkaAdminClient, specs: Sequence[TopicSpec]) -> None:
    # Every topic takes the records our clients send, whatever the cluster's default (1 MiB) is.
    size = {"max.message.bytes": str(MAX_RECORD_BYTES)}
    new = [NewTopic(s.name, s.partitions, 1, topic_configs={**size, **s.config}) for s in specs]
    response = await admin.create_topics(new)
    for topic, code, *rest in response.topic_errors:
        if code not in (0, TOPIC_ALREADY_EXISTS):  # another process may have won the race
            raise RuntimeError(f"cannot create topic {topic}: error {code} {rest}")
        log.info("topic ready", extra={"topic": topic})


def _record(msg) -> Record:
    return Record(
        msg.topic, msg.partition, msg.offset, msg.key, msg.value, tuple(msg.headers or ())
    )


class KafkaPublisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def send(
        self, topic: str, value: bytes, *, key: str | None, headers: list[tuple[str, bytes]]
    ) -> None:
        try:
            await self._producer.send_and_wait(
                topic, value, key=key.encode() if key is not None else None, headers=headers
            )
        except MessageSizeTooLargeError as error:  # refused by the client's check or by the broker
            raise RecordTooLarge(str(error)) from None

    async def send_all(self, topic: str, records: Sequence[Outgoing]) -> list[BaseException | None]:
        """A batch per partition filled here, not a ``send`` per record: aiokafka's send costs a record
        ~15 µs more than its append to a batch (bench/RESULTS.md, events' cost per create)."""
        partitions = sorted(await self._producer.partitions_for(topic))
        outcomes: list[BaseException | None] = [None] * len(records)
        open_batches: dict[int, tuple[BatchBuilder, list[int]]] = {}
        submitted: list[tuple[asyncio.Future, list[int]]] = []
        for index, (key, value, headers) in enumerate(records):
            raw_key = None if key is None else key.encode()
            if len(value) > MAX_RECORD_BYTES // 2 and _too_large(raw_key, value, headers):
                outcomes[index] = RecordTooLarge(f"a record of {len(value)} bytes, more than the bus carries")
                continue
            partition = _PARTITIONER(raw_key, partitions, partitions)
            batch, members = open_batches.get(partition) or (self._producer.create_batch(), [])
            if batch.append(key=raw_key, value=value, timestamp=None, headers=headers) is None:  # full
                submitted.append((await self._producer.send_batch(batch, topic, partition=partition), members))
                batch, members = self._producer.create_batch(), []
                batch.append(key=raw_key, value=value, timestamp=None, headers=headers)  # a new one takes any
            members.append(index)
            open_batches[partition] = batch, members
        for partition, (batch, members) in open_batches.items():
            submitted.append((await self._producer.send_batch(batch, topic, partition=partition), members))
        settled = await asyncio.gather(*(future for future, _ in submitted), return_exceptions=True)
        for (_, members), outcome in zip(submitted, settled, strict=True):
            if isinstance(outcome, BaseException):
                error = RecordTooLarge(str(outcome)) if isinstance(outcome, MessageSizeTooLargeError) else outcome
                for index in members:
                    outcomes[index] = error
        return outcomes


class KafkaGroupConsumer:
    def __init__(self, consumer: AIOKafkaConsumer, lag: LagGauge | None = None) -> None:
        self._consumer = consumer
        self._lag = lag
        self._committed: dict[TopicPartition, int] = {}

    async def fetch(self, timeout_ms: int) -> list[Record]:
        # Raises DuplicateMember when another live process took this static member (static_member.py).
        batches = await self._consumer.getmany(timeout_ms=timeout_ms)
        records = [_record(msg) for msgs in batches.values() for msg in msgs]
        self._show_lag(batches)
        return records

    def _show_lag(self, batches: dict[TopicPartition, list[Any]]) -> None:
        """Per partition held: its end (as the last fetch answered) less the offset committed: this copy's
        last commit, else where it started reading the partition (the group's commit when it got it); a
        partition it has read nothing from is caught up. No request of its own: a coordinator request per
        fetch cost time, and one answered "fenced" would stop a copy that was not replaced."""
        if self._lag is None:
            return
        held = self._consumer.assignment()
        self._committed = {tp: offset for tp, offset in self._committed.items() if tp in held}
        for tp, messages in batches.items():
            if messages:
                self._committed.setdefault(tp, messages[0].offset)
        lags = {}
        for tp in held:
            if (end := self._consumer.highwater(tp)) is not None:
                lags[(tp.topic, tp.partition)] = max(0, end - self._committed.get(tp, end))
        self._lag.show(lags)

    def assigned_partitions(self) -> int:
        return len(self._consumer.assignment())

    async def commit(self, records: Sequence[Record]) -> None:
        # A rebalance during the batch may have taken some partitions away: commit only what is
        # still ours. The new owner re-reads the rest; the handlers' idempotency makes that harmless.
        assigned, wanted = self._consumer.assignment(), _next_offsets(records)
        offsets = {tp: offset for tp, offset in wanted.items() if tp in assigned}
        if len(offsets) < len(wanted):
            log.warning("partitions revoked during the batch; their records will be redelivered")
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError):
            log.warning("commit failed after rebalance; records will be redelivered")
        else:
            self._committed.update(offsets)


def _next_offsets(records: Sequence[Record]) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
    return offsets


class KafkaTopicReader:
    def __init__(self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> None:
        self._consumer = consumer
        self._partitions = partitions

    @classmethod
    async def attach(
        cls, consumer: AIOKafkaConsumer, topic: str, from_beginning: bool
    ) -> KafkaTopicReader:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions_of(consumer, topic))]
        consumer.assign(partitions)
        if from_beginning:
            await consumer.seek_to_beginning(*partitions)
        else:
            await consumer.seek_to_end(*partitions)
        for tp in partitions:  # resolve the position now, so nothing published after attach is missed
            await consumer.position(tp)
        return cls(consumer, partitions)

    async def fetch(self, timeout_ms: int) -> list[Record]:
        batches = await self._consumer.getmany(timeout_ms=timeout_ms)
        return [_record(msg) for msgs in batches.values() for msg in msgs]

    async def lag(self) -> int:
        ends = await self._consumer.end_offsets(self._partitions)
        positions = [await self._consumer.position(tp) for tp in self._partitions]
        return sum(ends[tp] - position for tp, position in zip(self._partitions, positions, strict=True))


async def _partitions_of(consumer: AIOKafkaConsumer, topic: str, wait_s: float = 10.0) -> set[int]:
    """Partitions of ``topic``; a topic created a moment ago takes a few metadata rounds to show."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        # A group-less consumer holds no metadata for unsubscribed topics; aiokafka has no public
        # call that returns partitions of an arbitrary topic, so ask the client for fresh metadata.
        cluster = await consumer._client.fetch_all_metadata()
        if partitions := cluster.partitions_for_topic(topic):
            return partitions
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"topic {topic!r} does not exist")
        await asyncio.sleep(0.1)
