"""When a static member counts as taken over by another process (shared/messaging/static_member.py); the
real broker's side of it is in test_kafka_static_members.py."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shared.messaging.static_member import DuplicateMember, ReplacementCheck


@dataclass
class Coordinator:
    generation: int = -1
    member_id: str = ""


@dataclass
class Consumer:
    _coordinator: Coordinator


def seen_as(*states: tuple[int, str]) -> None:
    """Feed the check the (generation, member id) a consumer shows at each fetch."""
    coordinator = Coordinator()
    check, consumer = ReplacementCheck("user_store", "user_store-1"), Consumer(coordinator)
    for coordinator.generation, coordinator.member_id in states:
        check.check(consumer)


def test_a_new_member_id_in_the_same_generation_is_another_process_taking_ours():
    with pytest.raises(DuplicateMember, match="user_store-1"):
        seen_as((3, "m1"), (-1, ""), (3, "m2"))


@pytest.mark.parametrize("states", [
    [(3, "m1"), (3, "m1"), (3, "m1")],  # a member all along
    [(3, "m1"), (-1, ""), (4, "m2")],  # a session that ran out, or our own leave when idle: a new generation
    [(3, "m1"), (4, "m1")],  # a rebalance
    [(7, "m9")],  # the first join, in the generation a killed copy left: taking its place is the point
])
def test_a_rejoin_in_a_new_generation_or_none_is_not(states):
    seen_as(*states)
