"""What the user store asks of the seat allocator, and keeps of its answers (pure: no I/O).

A user's seat command states what the user is to hold (``seat_step``); the allocator's answer is kept
on the user's row (``SeatState``) and shown read-only on the resource.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from contracts import Reply
from contracts.seats.v1 import (
    AllocateSeats,
    ChangeSetMembership,
    ReleaseSeats,
    SeatAllocation,
    SubscriptionSetReport,
)
from shared.scim.resource import is_active
from shared.scim.schemas import EXTENSION_SCHEMA

SeatCommand = AllocateSeats | ReleaseSeats | ChangeSetMembership
SeatAnswer = SeatAllocation | SubscriptionSetReport

#: Ask the seat allocator: (command, tenant id, message id, timeout in seconds) -> its reply.
SeatAsk = Callable[[SeatCommand, str, str, float], Awaitable[Reply]]


class StoredSeatState(Protocol):
    """Where a user's seat state is kept: their row (tables.UserRow's columns)."""

    platform_active: bool
    subscription_set: str | None
    set_role: str | None


@dataclass(frozen=True)
class SeatState:
    """What the seat allocator last said of a user: kept on their row, shown read-only on the resource."""

    platform_active: bool = False  # holds at least one seat
    subscription_set: str | None = None
    set_role: str | None = None  # "Admin" where the set gives its members the admin role

    @classmethod
    def of(cls, allocation: SeatAllocation) -> SeatState:
        return cls(allocation.platform_active, allocation.set_name, allocation.role)

    @classmethod
    def of_row(cls, row: StoredSeatState) -> SeatState:
        return cls(row.platform_active, row.subscription_set, row.set_role)

    def write_on(self, row: StoredSeatState) -> None:
        row.platform_active, row.subscription_set, row.set_role = (self.platform_active, self.subscription_set,
                                                                   self.set_role)


def state_after(answers: Sequence[SeatAnswer], unchanged: SeatState) -> SeatState:
    """A user's seat state after their write: the allocator's answer, or as it was when not asked."""
    allocations = [answer for answer in answers if isinstance(answer, SeatAllocation)]
    return SeatState.of(allocations[-1]) if allocations else unchanged


@dataclass(frozen=True)
class Transition:
    """A user going from ``before`` to ``after`` (None: not stored), as read at ``version``."""

    user_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    version: int | None = None

    @property
    def resource_id(self) -> str:
        return self.user_id

    @property
    def created_name(self) -> str | None:
        return self.after["userName"] if self.before is None and self.after is not None else None

    def steps(self) -> list[SeatCommand]:
        step = seat_step(self)
        return [] if step is None else [step]


def products_of(resource: dict[str, Any]) -> list[str] | None:
    return resource.get(EXTENSION_SCHEMA, {}).get("products")


def seat_step(transition: Transition) -> AllocateSeats | ReleaseSeats | None:
    """The allocator's part of a user's transition; None when the user's seats stay as they are."""
    before, after, user_id = transition.before, transition.after, transition.user_id
    was_active = before is not None and is_active(before)
    if after is None:
        return None if before is None else ReleaseSeats(user_id=user_id, forget=True)
    if not is_active(after):
        return ReleaseSeats(user_id=user_id) if was_active else None
    if was_active and products_of(before) == products_of(after):  # type: ignore[arg-type]
        return None
    return AllocateSeats(user_id=user_id, user_name=after["userName"], products=products_of(after))


def restated_step(user_id: str, stored: dict[str, Any] | None) -> AllocateSeats | ReleaseSeats:
    """The seats a user is to hold as ``stored`` (None: not stored), whatever the allocator holds now."""
    step = seat_step(Transition(user_id, None, stored)) if stored is not None else None
    return step or ReleaseSeats(user_id=user_id, forget=stored is None)
