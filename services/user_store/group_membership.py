"""What a group's write asks of the subscription set named like it (pure: no I/O).

A group whose displayName is exactly a subscription set's name is that set (the ZoomInfo guide for Entra ID): every
group write tells the set(s) named like the group who joined and who left; a group no set is named after
gets an empty answer and stays an ordinary group.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from contracts.seats.v1 import ChangeSetMembership
from services.user_store.seat_state import SeatCommand


def member_ids(resource: Mapping[str, Any]) -> set[str]:
    return {member["value"] for member in resource.get("members", []) if member.get("value")}


def without_members(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in resource.items() if key != "members"}


@dataclass(frozen=True)
class Membership:
    name: str  # displayName: a subscription set's members are its group's, by exact name
    members: frozenset[str]


@dataclass(frozen=True)
class GroupChange:
    """A group going from ``before`` to ``after`` (None: not stored), as read at ``version``."""

    group_id: str
    before: Membership | None
    after: Membership | None
    resource: dict[str, Any] | None = None  # the new state, members included
    version: int | None = None
    inactive: frozenset[str] = frozenset()  # of the members joining a set, the deactivated
    waiting: frozenset[str] = frozenset()  # members staying whom the set has not seated yet: asked again

    @property
    def resource_id(self) -> str:
        return self.group_id

    @property
    def created_name(self) -> str | None:
        return self.after.name if self.before is None and self.after is not None else None

    def steps(self) -> list[SeatCommand]:
        return list(membership_steps(self.before, self.after, self.inactive, self.waiting))


def membership_steps(before: Membership | None, after: Membership | None, inactive: frozenset[str] = frozenset(),
                     waiting: frozenset[str] = frozenset()) -> list[ChangeSetMembership]:
    """What the subscription set(s) named like the group must hear. Every write is told, even one that moves
    nobody: a sync is a sync (the set's Last Synced). A renamed group leaves one set's name for another's.
    Members ``waiting`` for a seat join again: a seat may be free now."""
    if before is not None and after is not None and before.name == after.name:
        return [joined(after.name, after.members - before.members, inactive, before.members - after.members,
                       waiting)]
    leaving = [] if before is None else [ChangeSetMembership(set_name=before.name, removed=sorted(before.members))]
    return leaving + ([] if after is None else [joined(after.name, after.members, inactive)])


def joined(set_name: str, added: AbstractSet[str], inactive: frozenset[str], removed: AbstractSet[str] = frozenset(),
           waiting: AbstractSet[str] = frozenset()) -> ChangeSetMembership:
    return ChangeSetMembership(set_name=set_name, added=sorted(added), removed=sorted(removed),
                               inactive=sorted(inactive & added), reseat=sorted(waiting))


def membership(resource: Mapping[str, Any]) -> Membership:
    return Membership(resource["displayName"], frozenset(member_ids(resource)))


@dataclass(frozen=True)
class MembersChange:
    """A PATCH of listed members only: who joins and who leaves the group, as read at ``version``."""

    group_id: str
    name: str
    joining: frozenset[str]
    leaving: frozenset[str]
    version: int
    inactive: frozenset[str] = frozenset()  # of those joining, the deactivated
    waiting: frozenset[str] = frozenset()  # named again, not seated by the set yet: asked again

    @property
    def resource_id(self) -> str:
        return self.group_id

    @property
    def created_name(self) -> None:
        return None

    def steps(self) -> list[SeatCommand]:
        return [joined(self.name, self.joining, self.inactive, self.leaving, self.waiting)]
