"""Seat allocator command handlers, declared in HANDLERS at the bottom (sets' join from set_handlers)."""

from __future__ import annotations

from collections.abc import Mapping

from contracts import ErrorCode, MessageMeta
from contracts.seats.v1 import (
    AllocateSeats,
    ChangeSubscription,
    GetSeatSummary,
    GetUserSeats,
    ProductSeats,
    ReleaseSeats,
    SeatAllocation,
    SeatSummary,
    SubscribeProduct,
    SubscriptionChanged,
)
from contracts.system.v1 import Ping
from services.seat_allocator.allocation import (
    current,
    empty_allocation,
    join,
    named_set,
    record_failure,
    seat_waiting,
    settle,
    user_row,
)
from services.seat_allocator.domain import (
    SeatRefusal,
    Subscription,
    check_seat_count,
    check_subscription,
)
from services.seat_allocator.journaled import Deps, KeptFailure, journaled
from services.seat_allocator.set_handlers import SET_HANDLERS
from services.seat_allocator.tables import ProductRow
from services.seat_allocator.unit_of_work import UnitOfWork
from shared.messaging.dispatch import CommandFailed, Handler, tenant_of
from shared.messaging.ping import ping
from shared.store import as_utc, found

__all__ = ["HANDLERS", "Deps"]


def product_seats(subscription: Subscription, deps: Deps) -> ProductSeats:
    return ProductSeats(product=subscription.product, total=subscription.seats, used=subscription.used,
                        free=subscription.free, expires_at=subscription.expires_at,
                        expired=subscription.expired(deps.clock()))


async def seats_of(uow: UnitOfWork, tenant_id: str, product: str, deps: Deps) -> ProductSeats:
    return product_seats((await uow.products.subscriptions(tenant_id, [product]))[product], deps)


async def with_waiting_seated(uow: UnitOfWork, tenant_id: str, product: str, deps: Deps) -> SubscriptionChanged:
    """The product's seats once the set members waiting for it took what is free now (seats bought, an
    expiry moved out): the admin should not have to ask the IdP to push those members again."""
    seated = await seat_waiting(uow, tenant_id, product, deps.clock())
    seats = await seats_of(uow, tenant_id, product, deps)
    return SubscriptionChanged(**seats.model_dump(exclude={"TYPE"}), seated=seated)


async def subscribe_product(cmd: SubscribeProduct, meta: MessageMeta, deps: Deps) -> SubscriptionChanged:
    tenant_id = tenant_of(meta)

    async def work(uow: UnitOfWork) -> SubscriptionChanged:
        check_subscription(cmd.product, cmd.seats)
        if await uow.products.get(tenant_id, cmd.product) is not None:
            raise CommandFailed(ErrorCode.UNIQUENESS, f"Product {cmd.product!r} is already subscribed; "
                                                      "change its seats or expiry instead")
        now = deps.clock()
        uow.products.add(ProductRow(tenant_id=tenant_id, name=cmd.product, seats=cmd.seats,
                                    expires_at=as_utc(cmd.expires_at), created=now, modified=now))
        return await with_waiting_seated(uow, tenant_id, cmd.product, deps)

    return await journaled(meta, deps, SubscriptionChanged, work)


async def change_subscription(cmd: ChangeSubscription, meta: MessageMeta, deps: Deps) -> SubscriptionChanged:
    tenant_id = tenant_of(meta)

    async def work(uow: UnitOfWork) -> SubscriptionChanged:
        row = found(await uow.products.get(tenant_id, cmd.product), "Product", cmd.product)
        if cmd.seats is not None:
            check_seat_count((await uow.products.subscriptions(tenant_id, [cmd.product]))[cmd.product], cmd.seats)
            row.seats = cmd.seats
        if cmd.expires_at is not None:
            row.expires_at = as_utc(cmd.expires_at)
        row.modified = deps.clock()
        uow.products.add(row)
        return await with_waiting_seated(uow, tenant_id, cmd.product, deps)

    return await journaled(meta, deps, SubscriptionChanged, work)


async def get_seat_summary(_: GetSeatSummary, meta: MessageMeta, deps: Deps) -> SeatSummary:
    async with deps.uow(read_only=True) as uow:
        subscriptions = await uow.products.subscriptions(tenant_of(meta))
        return SeatSummary(products=[product_seats(s, deps) for s in subscriptions.values()])


async def allocate_seats(cmd: AllocateSeats, meta: MessageMeta, deps: Deps) -> SeatAllocation:
    """The user's wanted products (their own and their set's), all seats or none; a refusal is kept."""
    tenant_id, now = tenant_of(meta), deps.clock()

    async def work(uow: UnitOfWork) -> SeatAllocation:
        user = await user_row(uow, tenant_id, cmd.user_id, now)
        if cmd.set_name is not None:
            await join(uow, user, await named_set(uow, tenant_id, cmd.set_name))
        was = user.products, user.active
        user.user_name, user.products, user.active = cmd.user_name, list(dict.fromkeys(cmd.products or [])), True
        try:
            return await settle(uow, user, now)
        except SeatRefusal as refusal:
            # The store keeps the user as they were (say, deactivated): so does the allocator, or a set's
            # later change (members_after_edit, arrive) would seat them as this refused request asked.
            user.products, user.active = was
            failed = await record_failure(uow, user, refusal, now)
            raise KeptFailure(ErrorCode.INVALID_VALUE, failed.failure.detail if failed.failure else refusal.detail) from None

    return await journaled(meta, deps, SeatAllocation, work)


async def release_seats(cmd: ReleaseSeats, meta: MessageMeta, deps: Deps) -> SeatAllocation:
    """Deactivation frees every seat and keeps the set; deletion (``forget``) drops the user's record too."""
    tenant_id = tenant_of(meta)

    async def work(uow: UnitOfWork) -> SeatAllocation:
        user = await uow.users.get(tenant_id, cmd.user_id)
        if user is None:
            return empty_allocation(cmd.user_id)
        user.active = False
        released = await settle(uow, user, deps.clock(), strict=False)
        if cmd.forget:
            await uow.users.delete(user)
            return empty_allocation(cmd.user_id)
        return released

    return await journaled(meta, deps, SeatAllocation, work)


async def get_user_seats(cmd: GetUserSeats, meta: MessageMeta, deps: Deps) -> SeatAllocation:
    async with deps.uow(read_only=True) as uow:
        user = await uow.users.get(tenant_of(meta), cmd.user_id)
        return empty_allocation(cmd.user_id) if user is None else await current(uow, user)


HANDLERS: Mapping[type, Handler[Deps]] = {
    SubscribeProduct: subscribe_product,
    ChangeSubscription: change_subscription,
    GetSeatSummary: get_seat_summary,
    AllocateSeats: allocate_seats,
    ReleaseSeats: release_seats,
    GetUserSeats: get_user_seats,
    **SET_HANDLERS,
    Ping: ping,
}
