"""Static group membership (KIP-345) on aiokafka: a process joins its consumer groups under a stable name
(its SCIMFLOW_INSTANCE_ID), so a copy restarted after a crash takes the dead one's place and partitions at
once, without a rebalance; as a dynamic member it waited for the dead one's session to time out (10 s).

aiokafka 0.14 joins as a static member but leaves out the rest, which this module adds:
- it sends no LeaveGroup for a static member (on stop or when idle too long), so a stopped copy's partitions
  waited for its session to time out; ``leave_on_stop`` sends LeaveGroup v3, which names the member by
  its instance id (aiokafka knows v0-v1 only, which cannot);
- two live processes under one name take the member from each other every heartbeat, both serving every
  partition; ``DuplicateMember`` stops the one that finds itself replaced.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import Array, Int16, Int32, Schema, String

log = logging.getLogger(__name__)

#: A LeaveGroup is a courtesy: past this the member leaves when its session times out, as after a crash.
LEAVE_TIMEOUT_SECONDS = 3.0


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


@dataclass
class ReplacementCheck:
    """Tells when another process took this member over. The broker gives an instance id's member to the
    last process that joins under it, keeping the group's generation; the process it was taken from finds
    its member id unknown, rejoins and takes it back, again in that generation. A member id that changed
    within one generation is that; a real rebalance (a session that ran out, a member that left, our own
    leave when idle) starts a new generation."""

    group_id: str
    instance_id: str
    seen: tuple[int, str] | None = None  # (generation, member id) when last a member

    def check(self, consumer: AIOKafkaConsumer) -> None:
        coordinator = consumer._coordinator
        now = (coordinator.generation, coordinator.member_id)
        if now[0] <= 0 or not now[1]:
            return  # between members: joining
        if self.seen is not None and self.seen[0] == now[0] and self.seen[1] != now[1]:
            log.error("another live process is in this group under this instance id; stopping this one",
                      extra={"group": self.group_id, "instance": self.instance_id})
            raise DuplicateMember(f"another live process joined group {self.group_id!r} as {self.instance_id!r}"
                                  " (SCIMFLOW_INSTANCE_ID must differ between live copies of a service)")
        self.seen = now
