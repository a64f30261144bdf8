"""Bringing one user's seats in line with what they want, inside the caller's transaction.

Every path that moves seats comes here: an allocation, a release, a set's membership or products
changing. The plan is computed in full (domain.py) before any row is written, so a refusal leaves
the user's seats exactly as they were. What moved and what was refused is added to the unit of work's
events (events.py), written with the command's commit (journaled.py).
"""

from __future__ import annotations

from datetime import datetime

from contracts.seats.v1 import SeatAllocation, SeatFailure
from services.seat_allocator.domain import (
    SeatRefusal,
    check_one_set,
    plan_allocation,
    plan_release,
    products_required,
    wanted,
)
from services.seat_allocator.events import refusal_events, seat_events
from services.seat_allocator.repository import SeatUser
from services.seat_allocator.tables import SubscriptionSetRow
from services.seat_allocator.unit_of_work import UnitOfWork
from shared.store import found


async def user_row(uow: UnitOfWork, tenant_id: str, user_id: str, now: datetime) -> SeatUser:
    """The allocator's record of a user; a user it has not met yet is active and wants nothing of their own."""
    return await uow.users.get(tenant_id, user_id) or uow.users.new(tenant_id, user_id, now)


async def set_of(uow: UnitOfWork, user: SeatUser) -> SubscriptionSetRow | None:
    return await uow.sets.get(user.set_id) if user.set_id else None


async def named_set(uow: UnitOfWork, tenant_id: str, name: str) -> SubscriptionSetRow:
    """The set of exactly this name (an IdP group maps to a set by exact name), or NOT_FOUND."""
    return found(await uow.sets.named(tenant_id, name), "Subscription set", name)


async def join(uow: UnitOfWork, user: SeatUser, group: SubscriptionSetRow) -> None:
    """Put the user in ``group``; one in another set raises SeatRefusal (other_set) and nothing changes."""
    member_of = await set_of(uow, user)
    check_one_set(member_of.name if member_of else None, group.name)
    user.set_id = group.id


async def settle(uow: UnitOfWork, user: SeatUser, now: datetime, *, strict: bool = True) -> SeatAllocation:
    """Take every newly wanted seat or none (``strict``), and free the unwanted; raises SeatRefusal.

    Not strict is for paths that only ever give seats back (leaving a set, deactivation): they
    must succeed even when, say, a product the user keeps has expired meanwhile.
    """
    group = await set_of(uow, user)
    want = wanted(user.products, group.products if group else None, user.active)
    held = await uow.seats.held(user.tenant_id, user.user_id)
    if strict and user.active:
        required = bool(want) or await product_required(uow, user.tenant_id)
        subscriptions = await uow.products.subscriptions(user.tenant_id, want) if want else {}
        plan = plan_allocation(want, held, subscriptions, now, product_required=required)
    else:
        plan = plan_release(want, held)
    await uow.seats.free(user.tenant_id, user.user_id, plan.free)
    await uow.seats.take(user.tenant_id, user.user_id, plan.take, now)
    user.failure, user.modified = None, now
    await uow.users.save(user)
    settled = allocation(user, (held - plan.free) | plan.take, group)
    uow.changes += seat_events(user, plan.free, plan.take, settled.set_name)
    return settled


async def product_required(uow: UnitOfWork, tenant_id: str) -> bool:
    return products_required(await uow.products.any(tenant_id), await uow.sets.any(tenant_id))


async def settle_or_record(uow: UnitOfWork, user: SeatUser, now: datetime) -> SeatAllocation:
    """Settle strictly; a refusal is written on the user as their failure and returned as their outcome."""
    try:
        return await settle(uow, user, now)
    except SeatRefusal as refusal:
        return await record_failure(uow, user, refusal, now)


async def record_failure(uow: UnitOfWork, user: SeatUser, refusal: SeatRefusal, now: datetime) -> SeatAllocation:
    """The refusal is kept on the user for the admin (sync status); their seats stay as they were."""
    user.failure, user.modified = failure_of(user, refusal, now).model_dump(mode="json"), now
    await uow.users.save(user)
    failed = await current(uow, user)
    uow.changes += refusal_events(user, refusal, failed.set_name)
    return failed


async def seat_waiting(uow: UnitOfWork, tenant_id: str, product: str, now: datetime) -> list[SeatAllocation]:
    """Set members refused for want of a seat whose set gives ``product``, now that it has more: each takes
    their seats, all or nothing, the longest waiting first. Those whose seats moved are returned."""
    seated = []
    for user in await uow.users.waiting_in_sets(tenant_id):
        group = await set_of(uow, user)
        if group is None or product not in group.products:
            continue
        held = await uow.seats.held(tenant_id, user.user_id)
        outcome = await settle_or_record(uow, user, now)
        if outcome.failure is None and frozenset(outcome.products) != held:
            seated.append(outcome)
    return seated


def failure_of(user: SeatUser, refusal: SeatRefusal, now: datetime) -> SeatFailure:
    return SeatFailure(detail=f"Seats for user {user.user_name or user.user_id!r} not allocated: {refusal.detail}",
                       problems=refusal.problems, failed_at=now)


async def current(uow: UnitOfWork, user: SeatUser) -> SeatAllocation:
    held = await uow.seats.held(user.tenant_id, user.user_id)
    return allocation(user, held, await set_of(uow, user))


def allocation(user: SeatUser, held: frozenset[str], group: SubscriptionSetRow | None) -> SeatAllocation:
    return SeatAllocation(
        user_id=user.user_id,
        user_name=user.user_name,
        products=sorted(held),
        platform_active=bool(held),
        set_name=group.name if group else None,
        role="Admin" if group and group.admin_role else None,
        failure=SeatFailure.model_validate(user.failure) if user.failure else None,
    )


def empty_allocation(user_id: str) -> SeatAllocation:
    """A user the allocator has never seen (or has forgotten) holds nothing."""
    return SeatAllocation(user_id=user_id, products=[], platform_active=False)
