"""Seat rules, pure: what a subscription set may look like, and what a user takes and frees.

No I/O here: handlers load the facts (subscriptions with their used counts, the seats a user holds),
ask these functions for a plan or a verdict, and write the plan back in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from contracts.seats.v1 import (
    SET_DESCRIPTION_MAX,
    SET_NAME_CHARACTERS,
    SET_NAME_LENGTH,
    SeatProblem,
)
from contracts.seats.v1 import SeatFailureReason as Reason

NAME_LENGTH = SET_NAME_LENGTH
DESCRIPTION_MAX = SET_DESCRIPTION_MAX
NAME_CHARACTER = re.compile(f"[{SET_NAME_CHARACTERS}]")


class RuleBroken(Exception):
    """Input that breaks a named rule (set name, description, seat count ...): nothing is written."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class SeatRefusal(Exception):
    """Seats a user cannot have, product by product; the user's seats stay as they were."""

    def __init__(self, problems: list[tuple[SeatProblem, str]]) -> None:
        self.itemized = problems  # each problem with its text (a refusal's events carry them one by one)
        self.problems = [problem for problem, _ in problems]
        self.detail = "; ".join(text for _, text in problems)
        super().__init__(self.detail)


@dataclass(frozen=True)
class Subscription:
    product: str
    seats: int
    used: int
    expires_at: datetime

    @property
    def free(self) -> int:
        return self.seats - self.used

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Plan:
    take: frozenset[str]
    free: frozenset[str]


# --- subscription sets and subscriptions -----------------------------------------------------------


def check_set_name(name: str) -> str:
    low, high = NAME_LENGTH
    if not low <= len(name) <= high:
        raise RuleBroken(f"A subscription set name must be {low} to {high} characters long; {name!r} has {len(name)}")
    if bad := sorted(set(NAME_CHARACTER.sub("", name))):
        raise RuleBroken("A subscription set name may contain only letters, digits, '.', '-' and spaces; "
                         f"{name!r} contains {''.join(bad)!r}")
    return name


def check_description(description: str) -> str:
    if len(description) > DESCRIPTION_MAX:
        raise RuleBroken(f"A subscription set description must be at most {DESCRIPTION_MAX} characters long; "
                         f"this one has {len(description)}")
    return description


def check_set_products(products: Iterable[str], subscribed: Collection[str]) -> list[str]:
    """One or more products, each subscribed by the tenant; repeats are dropped, order kept."""
    unique = list(dict.fromkeys(products))
    if not unique:
        raise RuleBroken("A subscription set needs one or more products")
    if missing := [product for product in unique if product not in subscribed]:
        raise RuleBroken("Every product of a subscription set must be subscribed; "
                         f"not subscribed: {', '.join(missing)}")
    return unique


def check_subscription(product: str, seats: int) -> None:
    if not product.strip():
        raise RuleBroken("A product needs a name")
    if seats < 0:
        raise RuleBroken(f"The seat count of {product!r} must be 0 or more, not {seats}")


def check_seat_count(subscription: Subscription, seats: int) -> None:
    check_subscription(subscription.product, seats)
    if seats < subscription.used:
        raise RuleBroken(f"The seat count of {subscription.product!r} cannot go below the {subscription.used} "
                         f"seats in use (asked for {seats})")


# --- what a user holds -----------------------------------------------------------------------------


def wanted(own: Iterable[str] | None, from_set: Iterable[str] | None, active: bool = True) -> frozenset[str]:
    """A user is to hold their own products (vendor extension) and their set's; none while deactivated."""
    return frozenset([*(own or ()), *(from_set or ())]) if active else frozenset()


def user_refusal(reason: Reason, text: str) -> SeatRefusal:
    """A refusal about the user as a whole rather than one product."""
    return SeatRefusal([(SeatProblem(reason=reason), text)])


def check_one_set(current: str | None, joining: str) -> None:
    """A user belongs to at most one subscription set."""
    if current is not None and current != joining:
        raise user_refusal(Reason.OTHER_SET, f"the user already belongs to subscription set {current!r} and "
                                             f"cannot also join {joining!r}: a user can be in one set only")


def plan_allocation(want: frozenset[str], held: frozenset[str], subscriptions: Mapping[str, Subscription],
                    now: datetime, *, product_required: bool = True) -> Plan:
    """Every wanted product must be subscribed and unexpired, and each new one needs a free seat: all or nothing.

    Wanting nothing is refused only where a product is required (``products_required``).
    """
    if not want and product_required:
        raise user_refusal(Reason.NO_PRODUCT, "no product is associated with the user: "
                                              "give them products or add them to a subscription set")
    take = want - held
    problems = [found for product in sorted(want)
                if (found := problem_with(product, subscriptions.get(product), product in take, now))]
    if problems:
        raise SeatRefusal(problems)
    return Plan(take=take, free=held - want)


def products_required(sells_seats: bool, has_sets: bool) -> bool:
    """Must a user ask for a product? Only where products come from the users' own attributes (Okta,
    the ZoomInfo guide for Okta): the tenant subscribes products and has no subscription set. With sets, a user waits
    for their group (Entra creates users before it pushes the group, the ZoomInfo guide for Entra ID); a tenant with no
    product at all does not manage seats, so its users are provisioned without any."""
    return sells_seats and not has_sets


def plan_release(want: frozenset[str], held: frozenset[str]) -> Plan:
    """Giving seats back never fails: free what is no longer wanted, take nothing."""
    return Plan(take=frozenset(), free=held - want)


def problem_with(product: str, subscription: Subscription | None, taking: bool,
                 now: datetime) -> tuple[SeatProblem, str] | None:
    if subscription is None:
        return SeatProblem(product=product, reason=Reason.NOT_SUBSCRIBED), f"product {product!r} is not subscribed"
    if subscription.expired(now):
        return (SeatProblem(product=product, reason=Reason.EXPIRED),
                f"the subscription to product {product!r} expired on {subscription.expires_at:%Y-%m-%d %H:%M} UTC")
    if taking and subscription.free < 1:
        return (SeatProblem(product=product, reason=Reason.NO_FREE_SEAT),
                f"product {product!r} has no free seat ({subscription.used} of {subscription.seats} in use)")
    return None
