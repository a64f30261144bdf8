"""What ``scimflow status`` shows of each service's consumer group, as the broker sees it: its state, the copies
in it (each one's client id, host and partitions) and how far behind it is per partition (the
end of the partition less the group's committed offset: commands waiting for that service).

Read with the admin protocol (DescribeGroups, OffsetFetch, ListOffsets): asking changes nothing in the
group, so an operator may run it against a busy system. Kafka keeps no time of a member's last heartbeat
that a client can read, so each command group is also sent a Ping: which copy answered, and how fast, is
the proof that the group serves now (not only that it holds partitions).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from contracts.system.v1 import Ping, Pong
from contracts.topics import SERVICE_COMMANDS, SERVICE_GROUPS
from shared.messaging.kafka import KafkaBus
from shared.messaging.requester import RemoteError, Requester, RequestTimeout, open_requester, unwrap

#: How long each group has to answer its Ping.
PING_TIMEOUT = 3.0
#: The Pings' key: one partition of each topic (the gateway's readiness Pings use one too).
PING_KEY = "status"


@dataclass(frozen=True)
class Member:
    client: str  # its client id: "<service>/<SCIMFLOW_INSTANCE_ID>"
    host: str
    partitions: tuple[str, ...]  # "topic/partition"


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None  # None: the group never committed here (it starts from the beginning)
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


@dataclass(frozen=True)
class Answer:
    """A group's answer to a Ping: who, in how long; None for both: none within the deadline."""

    source: str | None
    milliseconds: float | None


@dataclass(frozen=True)
class GroupStatus:
    group: str
    state: str  # Stable, PreparingRebalance, CompletingRebalance, Empty, Dead
    members: tuple[Member, ...]
    lags: tuple[PartitionLag, ...]
    answer: Answer | None = None  # None: not asked (a group that serves no commands)

    @property
    def lag(self) -> int:
        return sum(partition.lag for partition in self.lags)


async def every_group_status(bus: KafkaBus, instance_id: str, ping_timeout: float = PING_TIMEOUT) -> list[GroupStatus]:
    """The status of each service's groups (contracts/topics.py ``SERVICE_GROUPS``), read as ``bus`` connects,
    each command group's answer to a Ping with it."""
    admin = AIOKafkaAdminClient(**bus.connection())
    await admin.start()
    try:
        consumer = AIOKafkaConsumer(**bus.connection())
        await consumer.start()
        try:
            statuses = [await group_status(admin, consumer, group, [topic.name for topic in topics])
                        for group, topics in SERVICE_GROUPS.items()]
        finally:
            await consumer.stop()
    finally:
        await admin.close()
    answers = await pings(bus, instance_id, ping_timeout)
    return [replace(status, answer=answers.get(status.group)) for status in statuses]


async def pings(bus: KafkaBus, instance_id: str, timeout: float) -> dict[str, Answer]:
    """Each command group's answer to a Ping, asked all at once (from a reply topic of this host's own)."""
    async with open_requester(bus, instance=f"scimflow-status.{instance_id}", source=f"scimflow-status/{instance_id}",
                              timeout=timeout) as requester:
        groups = list(SERVICE_COMMANDS)
        answers = await asyncio.gather(*(ping(requester, SERVICE_COMMANDS[group][0].name) for group in groups))
    return dict(zip(groups, answers, strict=True))


async def ping(requester: Requester, topic: str) -> Answer:
    started = time.monotonic()
    try:
        pong = unwrap(await requester.ask(Ping(), topic=topic, key=PING_KEY), Pong)
    except (RequestTimeout, RemoteError):
        return Answer(None, None)
    return Answer(f"{pong.service}/{pong.instance}", (time.monotonic() - started) * 1000)


async def group_status(admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, group: str,
                       topics: Sequence[str]) -> GroupStatus:
    """``consumer``: any started consumer outside the group (it only asks for the partitions' ends)."""
    [description] = await admin.describe_consumer_groups([group])
    state, members = described(description.to_object()["groups"][0])
    committed = await admin.list_consumer_group_offsets(group)
    partitions = [TopicPartition(topic["topic"], partition["partition"])
                  for topic in sorted(await admin.describe_topics(list(topics)), key=lambda topic: topic["topic"])
                  for partition in sorted(topic["partitions"], key=lambda partition: partition["partition"])]
    ends = await consumer.end_offsets(partitions) if partitions else {}
    lags = tuple(PartitionLag(tp.topic, tp.partition, offset_of(committed.get(tp)), ends[tp]) for tp in partitions)
    return GroupStatus(group, state, members, lags)


def described(group: dict) -> tuple[str, tuple[Member, ...]]:
    members = tuple(sorted((member_of(member) for member in group["members"]), key=lambda m: m.client))
    return group["state"], members


def member_of(member: dict) -> Member:
    assignment = member["member_assignment"]
    owned: Iterable[tuple[str, list[int]]] = (
        ConsumerProtocolMemberAssignment.decode(assignment).assignment if assignment else ())
    partitions = tuple(f"{topic}/{p}" for topic, numbers in owned for p in sorted(numbers))
    return Member(member["client_id"], member["client_host"].lstrip("/"), partitions)


def offset_of(committed) -> int | None:
    return None if committed is None or committed.offset < 0 else committed.offset


def render(statuses: Sequence[GroupStatus]) -> str:
    """One block per group: its state, copies and lag, then each copy and what it holds."""
    lines = []
    for status in statuses:
        lines.append(f"{status.group}: {status.state}, {len(status.members)} "
                     f"cop{'y' if len(status.members) == 1 else 'ies'}, lag {status.lag}{answered(status.answer)}")
        lines += [f"  {member.client} ({member.host}): {len(member.partitions)} partitions"
                  for member in status.members]
        lines += [f"  waiting: {lag.topic}/{lag.partition} {lag.lag}" for lag in status.lags if lag.lag]
    return "\n".join(lines)


def answered(answer: Answer | None) -> str:
    if answer is None:
        return ""
    if answer.source is None:
        return ", no answer to a Ping"
    return f", a Ping answered by {answer.source} in {answer.milliseconds:.0f} ms"
