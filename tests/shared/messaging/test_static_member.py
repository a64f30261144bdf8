"""When a static member that lost its membership stops instead of joining again (shared/messaging/static_member.py,
stop_when_replaced), against a coordinator that answers as the broker would; the real broker's side of it is in
test_kafka_static_members.py."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from aiokafka.errors import KafkaConnectionError

from shared.messaging.static_member import (
    FENCED_INSTANCE_ID,
    DuplicateMember,
    HeartbeatRequest_v3,
    stop_when_replaced,
)

UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS = 25, 22, 27


@dataclass
class Coordinator:
    """What stop_when_replaced uses of aiokafka's GroupCoordinator; the broker answers every request ``answer``."""

    answer: int | Exception = 0
    group_id: str = "user_store"
    generation: int = -1
    member_id: str = ""
    joins_succeed: bool = True
    asked: list[HeartbeatRequest_v3] = field(default_factory=list)
    pushed: list[Exception] = field(default_factory=list)
    joins: int = 0

    def __post_init__(self) -> None:
        self._closing = asyncio.get_running_loop().create_future()
        self._closing.set_result(None)  # the consumer stopped once it raised what was pushed

    async def _send_req(self, request):
        self.asked.append(request.build(HeartbeatRequest_v3))
        if isinstance(self.answer, Exception):
            raise self.answer
        return SimpleNamespace(error_code=self.answer)

    async def _push_error_to_user(self, error: Exception) -> None:
        self.pushed.append(error)

    async def _do_rejoin_group(self, _subscription) -> bool:
        self.joins += 1
        if self.joins_succeed:
            self.generation, self.member_id = 3, f"m{self.joins}"
        return self.joins_succeed


def lost_membership(answer: int | Exception) -> Coordinator:
    """A consumer as aiokafka's start leaves it (a member: generation 3, m0), guarded, then told its member
    is unknown (aiokafka reset it, and is about to rejoin)."""
    coordinator = Coordinator(answer, generation=3, member_id="m0")
    stop_when_replaced(SimpleNamespace(_coordinator=coordinator), "user_store-1")
    coordinator.generation, coordinator.member_id = -1, ""
    return coordinator


async def test_a_member_another_process_took_stops_without_joining_again():
    coordinator = lost_membership(FENCED_INSTANCE_ID)
    assert await coordinator._do_rejoin_group(None) is False
    assert coordinator.joins == 0
    [replaced] = coordinator.pushed
    assert isinstance(replaced, DuplicateMember) and "'user_store-1'" in str(replaced)


async def test_the_broker_is_asked_about_the_member_held_under_the_instance_id():
    coordinator = lost_membership(UNKNOWN_MEMBER_ID)
    await coordinator._do_rejoin_group(None)
    [asked] = coordinator.asked
    assert (asked.group, asked.generation_id, asked.member_id, asked.group_instance_id) == (
        "user_store", 3, "m0", "user_store-1")


@pytest.mark.parametrize("answer", [
    UNKNOWN_MEMBER_ID,  # its session ran out, or it left (idle too long): nobody holds the instance id
    ILLEGAL_GENERATION,  # a rebalance
    REBALANCE_IN_PROGRESS,
    0,  # still a member (a rejoin asked for another reason, such as new partitions)
    KafkaConnectionError(),  # no answer: join; if that takes another live process's member, that one stops
])
async def test_a_member_nobody_took_joins_again(answer):
    coordinator = lost_membership(answer)
    assert await coordinator._do_rejoin_group(None) is True
    assert (coordinator.joins, coordinator.pushed, coordinator.member_id) == (1, [], "m1")


async def test_a_membership_joined_again_is_the_one_asked_about_next():
    coordinator = lost_membership(UNKNOWN_MEMBER_ID)
    await coordinator._do_rejoin_group(None)
    coordinator.generation, coordinator.member_id, coordinator.answer = -1, "", FENCED_INSTANCE_ID
    assert await coordinator._do_rejoin_group(None) is False
    assert [(asked.generation_id, asked.member_id) for asked in coordinator.asked] == [(3, "m0"), (3, "m1")]


async def test_after_a_failed_join_the_next_one_does_not_ask_again():
    """An unanswered JoinGroup may have given the instance id a member id this process never heard of: asked
    about the member it held before, the broker would call it fenced by itself."""
    coordinator = lost_membership(0)
    coordinator.joins_succeed = False
    assert await coordinator._do_rejoin_group(None) is False
    coordinator.answer, coordinator.joins_succeed = FENCED_INSTANCE_ID, True
    assert await coordinator._do_rejoin_group(None) is True
    assert (len(coordinator.asked), coordinator.pushed) == (1, [])


async def test_a_consumer_that_was_never_a_member_asks_nothing():
    coordinator = Coordinator(FENCED_INSTANCE_ID)
    stop_when_replaced(SimpleNamespace(_coordinator=coordinator), "user_store-1")
    assert await coordinator._do_rejoin_group(None) is True
    assert coordinator.asked == []
