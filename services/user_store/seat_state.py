"""What the user store asks of the seat allocator, and keeps of its answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from contracts.seats.v1 import AllocateSeats, ChangeSetMembership, ReleaseSeats, SeatAllocation

SeatCommand = AllocateSeats | ReleaseSeats | ChangeSetMembership


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
