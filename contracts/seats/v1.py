"""Seat allocator commands and results, version 1: products, seats per user, subscription sets.

The tenant is the envelope's ``tenant_id`` header. Every seat command of one tenant is published
with the Kafka key ``seats_key(tenant_id)`` (the bare tenant id), so one partition, read by one
allocator at a time, holds them in order; the allocator's BEGIN IMMEDIATE transactions and its
message-id journal cover the moments when two replicas overlap (rebalance, redelivery).

A seat failure is an error reply (``invalidValue``) whose detail names each product and why; the
same failure, structured, is kept per user and returned by ``GetUserSeats``.
"""

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import Command, Query, Result

#: A subscription set's name and description, as the allocator checks them and a form may check them as
#: one types (the PRODUCT brief's rules, written once).
SET_NAME_LENGTH = (3, 35)
SET_NAME_CHARACTERS = r"a-zA-Z0-9.\- "
SET_DESCRIPTION_MAX = 45


def seats_key(tenant_id: str) -> str:
    """The Kafka key of every seat command: one tenant's seats, one partition, one order."""
    return tenant_id


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeatFailureReason(StrEnum):
    NO_FREE_SEAT = "no_free_seat"
    NOT_SUBSCRIBED = "not_subscribed"
    EXPIRED = "expired"
    NO_PRODUCT = "no_product"  # neither the user's products nor a subscription set name one
    OTHER_SET = "other_set"  # the user already belongs to another subscription set


class SeatProblem(_Part):
    product: str | None = None  # None for no_product / other_set
    reason: SeatFailureReason


class SeatFailure(_Part):
    """Why a user holds none of the seats last asked for (their earlier seats, if any, are kept)."""

    detail: str
    problems: list[SeatProblem]
    failed_at: datetime


# --- products -------------------------------------------------------------------------------------


class SubscribeProduct(Command):
    TYPE = "seats.subscribe_product.v1"

    product: str
    seats: int
    expires_at: datetime


class ChangeSubscription(Command):
    """New seat count and/or expiry of a subscribed product; a count below the seats in use is refused."""

    TYPE = "seats.change_subscription.v1"

    product: str
    seats: int | None = None
    expires_at: datetime | None = None


class ProductSeats(Result):
    TYPE = "seats.product_seats.v1"

    product: str
    total: int
    used: int
    free: int
    expires_at: datetime
    expired: bool


class SubscriptionChanged(ProductSeats):
    """A product's seats after the operator subscribed or changed it, and the set members who were waiting
    for a seat (none was free when they joined) and got one: the gateway tells the user store
    (users.RecordSeatStates)."""

    TYPE = "seats.subscription_changed.v1"

    seated: list["SeatAllocation"] = Field(default_factory=list)


class GetSeatSummary(Query):
    TYPE = "seats.get_seat_summary.v1"


class SeatSummary(Result):
    TYPE = "seats.seat_summary.v1"

    products: list[ProductSeats]


# --- a user's seats -------------------------------------------------------------------------------


class AllocateSeats(Command):
    """The user's products as their IdP says now: take what is new (all or nothing), free what was dropped.

    ``products`` is the vendor extension's list (None when the user has none); ``set_name`` puts the
    user in that subscription set (None leaves their set as it is). The user is to hold a seat of
    every product of both.
    """

    TYPE = "seats.allocate_seats.v1"

    user_id: str
    user_name: str
    products: list[str] | None = None
    set_name: str | None = None


class ReleaseSeats(Command):
    """Deactivation (``forget=False``) or deletion (``forget=True``, the set membership goes too)."""

    TYPE = "seats.release_seats.v1"

    user_id: str
    forget: bool = False


class GetUserSeats(Query):
    TYPE = "seats.get_user_seats.v1"

    user_id: str


class SeatAllocation(Result):
    """A user's seats. ``platform_active`` = holds at least one; ``role`` is "Admin" when their set says so."""

    TYPE = "seats.seat_allocation.v1"

    user_id: str
    user_name: str | None = None
    products: list[str]
    platform_active: bool
    set_name: str | None = None
    role: Literal["Admin"] | None = None
    failure: SeatFailure | None = None


# --- subscription sets ----------------------------------------------------------------------------


class CreateSubscriptionSet(Command):
    TYPE = "seats.create_subscription_set.v1"

    name: str
    description: str = ""
    products: list[str]
    admin_role: bool = False  # "give admin role to all users in this set"


class EditSubscriptionSet(Command):
    """Fields left None stay; new products move the members' seats (all or nothing per member)."""

    TYPE = "seats.edit_subscription_set.v1"

    name: str
    new_name: str | None = None
    description: str | None = None
    products: list[str] | None = None
    admin_role: bool | None = None


class DeleteSubscriptionSet(Command):
    """The members leave the set and free the seats only it gave them."""

    TYPE = "seats.delete_subscription_set.v1"

    name: str


class ChangeSetMembership(Command):
    """Users added to / removed from the IdP group of this set's exact name (Entra ID)."""

    TYPE = "seats.change_set_membership.v1"

    set_name: str
    added: list[str] = Field(default_factory=list)  # user ids
    removed: list[str] = Field(default_factory=list)
    # Of ``added``, the users the store holds deactivated: they join the set holding no seat (the
    # allocator hears of a deactivated user only if they once were active).
    inactive: list[str] = Field(default_factory=list)
    # Members already in the set whom it has not seated (none was free): their seats are asked again.
    # Not ``added``: undoing this change must not take them out of the set.
    reseat: list[str] = Field(default_factory=list)


class ListSubscriptionSets(Query):
    TYPE = "seats.list_subscription_sets.v1"


class SubscriptionSetRecord(Result):
    """``last_synced`` None is the admin's "UnSynced": no membership change applied yet."""

    TYPE = "seats.subscription_set_record.v1"

    name: str
    description: str
    products: list[str]
    admin_role: bool
    members: int
    created: datetime
    modified: datetime
    last_synced: datetime | None = None


class SubscriptionSetList(Result):
    TYPE = "seats.subscription_set_list.v1"

    sets: list[SubscriptionSetRecord]


class SubscriptionSetReport(Result):
    """A set after a change, and each touched member's seats (``failure`` set where theirs failed)."""

    TYPE = "seats.subscription_set_report.v1"

    subscription_set: SubscriptionSetRecord
    outcomes: list[SeatAllocation]


SubscriptionChanged.model_rebuild()  # ``seated`` names SeatAllocation, defined below it
