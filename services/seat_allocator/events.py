"""Which events a committed change of the allocator emits, and their ``data`` (contracts/events/v1.py). Pure:
allocation.py and set_handlers.py call these as they move seats, keep a refusal or sync a set, and add
the result to the unit of work's ``changes``; ``journaled`` (journaled.py) writes those to the outbox
(shared/events/outbox.py) under the command's message id, in the transaction that commits them.

Only what moved emits: a settle that takes and frees nothing emits nothing, and a command refused
without a trace (a broken rule, a set that does not exist) rolls back with its events.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from contracts.events.v1 import SEAT_ASSIGNED, SEAT_REFUSED, SEAT_RELEASED, SET_SYNCED
from contracts.seats.v1 import SubscriptionSetRecord
from services.seat_allocator.domain import SeatRefusal
from services.seat_allocator.repository import SeatUser
from shared.events.emitted import Emitted

#: What a set's event tells of it, of what the allocator answers about it (SubscriptionSetRecord).
SET_FIELDS = {"name", "description", "products", "admin_role", "members"}


def seat_events(user: SeatUser, freed: Collection[str], taken: Collection[str], set_name: str | None) -> list[Emitted]:
    """One event per product freed, then per product taken (the order the seats were written), each sorted;
    ``set_name``: the user's set once the change is committed."""
    return ([seat_event(SEAT_RELEASED, user, product, set_name) for product in sorted(freed)]
            + [seat_event(SEAT_ASSIGNED, user, product, set_name) for product in sorted(taken)])


def seat_event(kind: str, user: SeatUser, product: str, set_name: str | None) -> Emitted:
    return kind, user.user_id, seat_data(user, product, set_name)


def refusal_events(user: SeatUser, refusal: SeatRefusal, set_name: str | None) -> list[Emitted]:
    """One event per problem of the refusal: per product refused, or one for the user as a whole."""
    return [(SEAT_REFUSED, user.user_id,
             {**seat_data(user, problem.product, set_name), "reason": problem.reason.value, "detail": text})
            for problem, text in refusal.itemized]


def seat_data(user: SeatUser, product: str | None, set_name: str | None) -> dict[str, Any]:
    return {"user_id": user.user_id, "user_name": user.user_name, "product": product, "subscription_set": set_name}


def synced_event(set_id: str, record: SubscriptionSetRecord) -> Emitted:
    """The set as the allocator answers it after the sync (its members counted)."""
    return SET_SYNCED, set_id, {"set_id": set_id, **record.model_dump(mode="json", include=SET_FIELDS)}
