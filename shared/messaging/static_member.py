"""Static group membership (KIP-345) on aiokafka: a process joins its consumer groups under a stable name
(its SCIMFLOW_INSTANCE_ID), so a copy restarted after a crash takes the dead one's place and partitions at
once, without a rebalance; as a dynamic member it waited for the dead one's session to time out (10 s).

aiokafka 0.14 joins as a static member but leaves out the rest, which this module adds:
- it sends no LeaveGroup for a static member (on stop or when idle too long), so a stopped copy's partitions
  waited for its session to time out; ``leave_on_stop`` sends LeaveGroup v3, which names the member by
  its instance id (aiokafka knows v0-v1 only, which cannot);
- two live processes under one name take the member from each other every heartbeat, both serving every
  partition; ``stop_when_replaced`` stops the one whose member was taken (``DuplicateMember``) before it
  takes it back, so the other serves on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import Array, Int16, Int32, Schema, String

log = logging.getLogger(__name__)

#: A LeaveGroup is a courtesy: past this the member leaves when its session times out, as after a crash.
LEAVE_TIMEOUT_SECONDS = 3.0
#: Past this a rejoin goes ahead unchecked: if it takes another live process's member, that one stops instead.
FENCE_CHECK_TIMEOUT_SECONDS = 3.0
#: Kafka's answer to a request naming this instance id with a member id no longer the instance's.
FENCED_INSTANCE_ID = 82


class DuplicateMember(RuntimeError):
    """Another live process joined this group under this process's instance id."""


class LeaveGroupResponse_v3(Response):  # noqa: N801 (Kafka's and aiokafka's naming)
    API_KEY = 13
    API_VERSION = 3
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("members", Array(("member_id", String("utf-8")), ("group_instance_id", String("utf-8")),
                          ("error_code", Int16))),
    )


class LeaveGroupRequest_v3(RequestStruct):  # noqa: N801
    API_KEY = 13
    API_VERSION = 3
    RESPONSE_TYPE = LeaveGroupResponse_v3
    SCHEMA = Schema(
        ("group", String("utf-8")),
        ("members", Array(("member_id", String("utf-8")), ("group_instance_id", String("utf-8")))),
    )


class StaticLeaveGroupRequest(Request[LeaveGroupRequest_v3]):
    API_KEY = 13

    def __init__(self, group: str, member_id: str, group_instance_id: str) -> None:
        self._group, self._member = group, (member_id, group_instance_id)

    def build(self, request_struct_class: type[LeaveGroupRequest_v3]) -> LeaveGroupRequest_v3:
        return request_struct_class(self._group, [self._member])


class HeartbeatResponse_v3(Response):  # noqa: N801
    API_KEY = 12
    API_VERSION = 3
    SCHEMA = Schema(("throttle_time_ms", Int32), ("error_code", Int16))


class HeartbeatRequest_v3(RequestStruct):  # noqa: N801
    API_KEY = 12
    API_VERSION = 3
    RESPONSE_TYPE = HeartbeatResponse_v3
    SCHEMA = Schema(
        ("group", String("utf-8")),
        ("generation_id", Int32),
        ("member_id", String("utf-8")),
        ("group_instance_id", String("utf-8")),
    )


class StaticHeartbeatRequest(Request[HeartbeatRequest_v3]):
    """A heartbeat naming the instance id too (aiokafka sends v0-v1, which cannot): the broker answers
    FENCED_INSTANCE_ID when the instance's member is another process's now, UNKNOWN_MEMBER_ID when it
    has none (its session ran out, it left)."""

    API_KEY = 12

    def __init__(self, group: str, generation: int, member_id: str, group_instance_id: str) -> None:
        self._fields = (group, generation, member_id, group_instance_id)

    def build(self, request_struct_class: type[HeartbeatRequest_v3]) -> HeartbeatRequest_v3:
        return request_struct_class(*self._fields)


def leave_on_stop(consumer: AIOKafkaConsumer, instance_id: str) -> None:
    """Make a started static member leave its group where aiokafka would leave a dynamic one: on stop,
    once heartbeats and rejoins have ended (and when idle too long, so it rejoins as a new member)."""
    coordinator = consumer._coordinator  # aiokafka's hook for leaving; no public one exists

    async def leave() -> None:
        if coordinator.generation > 0:  # a member now (aiokafka's own condition)
            await _send_leave(coordinator, instance_id)
        coordinator.reset_generation()

    coordinator._maybe_leave_group = leave


async def _send_leave(coordinator, instance_id: str) -> None:
    request = StaticLeaveGroupRequest(coordinator.group_id, coordinator.member_id, instance_id)
    try:
        async with asyncio.timeout(LEAVE_TIMEOUT_SECONDS):
            response = await coordinator._send_req(request)
    except (KafkaError, TimeoutError, NotImplementedError) as error:  # NotImplemented: a broker before 2.4
        log.warning("could not leave the group; it drops this member after its session timeout",
                    extra={"group": coordinator.group_id, "error": repr(error)})
        return
    codes = {response.error_code, *(code for *_, code in response.members)} - {0}
    if codes:  # 25 unknown member, 82 fenced: the member is no longer ours to remove
        log.warning("group refused the leave", extra={"group": coordinator.group_id, "error_codes": sorted(codes)})
    else:
        log.info("left the group", extra={"group": coordinator.group_id, "instance": instance_id})


def stop_when_replaced(consumer: AIOKafkaConsumer, instance_id: str) -> None:
    """Make a started static member stop (its next fetch raises DuplicateMember) instead of rejoining when
    another live process has taken its member."""
    coordinator = consumer._coordinator  # aiokafka's rejoin step; no public hook exists
    guard = RejoinGuard(coordinator, instance_id, coordinator._do_rejoin_group)
    guard.remember_membership()  # the first join: aiokafka's start waited for it
    coordinator._do_rejoin_group = guard.rejoin


@dataclass
class RejoinGuard:
    """Checks, before a member that lost its membership joins again, whether another process took it.

    The broker gives an instance id's member to the last process that joins under it. The process it was
    taken from learns it as "unknown member" (a heartbeat, a commit), just as after its session ran out;
    aiokafka then rejoins, which takes the member back from the other process, which rejoins in turn, and
    both serve every partition. Rejoining only after asking the broker about the member it held (a
    heartbeat naming the instance id) keeps the other's member untouched: the one replaced stops, alone.
    A check after the rejoin (at the next fetch) comes too late: the member is taken back by then, and
    the other process may find its own taken in turn, so both stop."""

    coordinator: Any  # aiokafka's GroupCoordinator (untyped)
    instance_id: str
    join: Callable[[Any], Awaitable[bool]]
    held: tuple[int, str] | None = None  # (generation, member id) of the last membership joined

    async def rejoin(self, subscription: Any) -> bool:
        # Asked once per membership lost: an unanswered JoinGroup of ours may have moved the instance id
        # to a member id we never heard of, which is ours all the same.
        held, self.held = self.held, None
        if held is not None and await self._fenced(*held):
            await self._stop()
            return False
        joined = await self.join(subscription)
        if joined:
            self.remember_membership()
        return joined

    def remember_membership(self) -> None:
        if self.coordinator.generation > 0 and self.coordinator.member_id:
            self.held = (self.coordinator.generation, self.coordinator.member_id)

    async def _fenced(self, generation: int, member_id: str) -> bool:
        request = StaticHeartbeatRequest(self.coordinator.group_id, generation, member_id, self.instance_id)
        try:
            async with asyncio.timeout(FENCE_CHECK_TIMEOUT_SECONDS):
                response = await self.coordinator._send_req(request)
        except (KafkaError, TimeoutError, NotImplementedError) as error:  # NotImplemented: a broker before 2.3
            log.warning("could not ask whether this member was taken over; rejoining",
                        extra={"group": self.coordinator.group_id, "error": repr(error)})
            return False
        return bool(response.error_code == FENCED_INSTANCE_ID)

    async def _stop(self) -> None:
        log.error("another live process is in this group under this instance id; stopping this one",
                  extra={"group": self.coordinator.group_id, "instance": self.instance_id})
        replaced = DuplicateMember(f"another live process joined group {self.coordinator.group_id!r} as "
                                   f"{self.instance_id!r} (SCIMFLOW_INSTANCE_ID must differ between live copies"
                                   " of a service)")
        # aiokafka's way to fail the consumer's fetch (waiting for an assignment or not); it returns once
        # the fetch raised it, or the consumer stops.
        await self.coordinator._push_error_to_user(replaced)
        await self.coordinator._closing  # never rejoin: the member is the other process's now
