"""Subscription set handlers (Entra ID groups map to sets by exact name); their HANDLERS join the allocator's."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from contracts import ErrorCode, MessageMeta
from contracts.seats.v1 import (
    ChangeSetMembership,
    CreateSubscriptionSet,
    DeleteSubscriptionSet,
    EditSubscriptionSet,
    ListSubscriptionSets,
    SeatAllocation,
    SubscriptionSetList,
    SubscriptionSetRecord,
    SubscriptionSetReport,
)
from services.seat_allocator.allocation import (
    current,
    join,
    named_set,
    record_failure,
    settle,
    settle_or_record,
    user_row,
)
from services.seat_allocator.domain import (
    RuleBroken,
    SeatRefusal,
    check_description,
    check_set_name,
    check_set_products,
)
from services.seat_allocator.events import synced_event
from services.seat_allocator.journaled import Deps, journaled
from services.seat_allocator.tables import SubscriptionSetRow
from services.seat_allocator.unit_of_work import UnitOfWork
from shared.messaging.dispatch import CommandFailed, Handler, tenant_of
from shared.store import as_utc


def set_record(row: SubscriptionSetRow, members: int) -> SubscriptionSetRecord:
    return SubscriptionSetRecord(name=row.name, description=row.description, products=row.products,
                                 admin_role=row.admin_role, members=members, created=as_utc(row.created),
                                 modified=as_utc(row.modified), last_synced=row.last_synced and as_utc(row.last_synced))


async def report(uow: UnitOfWork, row: SubscriptionSetRow, outcomes: list[SeatAllocation]) -> SubscriptionSetReport:
    members = (await uow.users.counts_by_set([row.id])).get(row.id, 0)
    return SubscriptionSetReport(subscription_set=set_record(row, members), outcomes=outcomes)


async def subscribed(uow: UnitOfWork, tenant_id: str, products: Iterable[str]) -> list[str]:
    return check_set_products(products, await uow.products.subscriptions(tenant_id))


async def free_name(uow: UnitOfWork, tenant_id: str, name: str, own_id: str | None = None) -> str:
    check_set_name(name)
    if await uow.sets.name_taken(tenant_id, name, own_id):
        raise CommandFailed(ErrorCode.UNIQUENESS, f"A subscription set named {name!r} already exists")
    return name


async def create_subscription_set(cmd: CreateSubscriptionSet, meta: MessageMeta,
                                  deps: Deps) -> SubscriptionSetRecord:
    tenant_id = tenant_of(meta)

    async def work(uow: UnitOfWork) -> SubscriptionSetRecord:
        name, description = await free_name(uow, tenant_id, cmd.name), check_description(cmd.description)
        products, now = await subscribed(uow, tenant_id, cmd.products), deps.clock()
        row = SubscriptionSetRow(id=uuid.uuid4().hex, tenant_id=tenant_id, name=name, name_key=name.lower(),
                                 description=description, products=products, admin_role=cmd.admin_role,
                                 created=now, modified=now)
        uow.sets.add(row)
        return set_record(row, 0)

    return await journaled(meta, deps, SubscriptionSetRecord, work)


async def edit(uow: UnitOfWork, row: SubscriptionSetRow, cmd: EditSubscriptionSet) -> bool:
    """Apply the fields given; True when the products changed (members' seats must follow)."""
    if cmd.new_name is not None and cmd.new_name != row.name:
        await check_no_members(uow, row)
        row.name = await free_name(uow, row.tenant_id, cmd.new_name, row.id)
        row.name_key = row.name.lower()
    if cmd.description is not None:
        row.description = check_description(cmd.description)
    if cmd.admin_role is not None:
        row.admin_role = cmd.admin_role
    if cmd.products is None:
        return False
    products = await subscribed(uow, row.tenant_id, cmd.products)
    changed, row.products = set(products) != set(row.products), products
    return changed


async def check_no_members(uow: UnitOfWork, row: SubscriptionSetRow) -> None:
    """A set's members are those of the IdP group of exactly its name: renamed with members, the set would
    keep them seated while that group's later changes, sent under the old name, reached no set."""
    if (await uow.users.counts_by_set([row.id])).get(row.id):
        raise RuleBroken(f"Subscription set {row.name!r} has members (those of the identity provider's group "
                         "of that name): rename the group there first, then the set")


async def members_after_edit(uow: UnitOfWork, row: SubscriptionSetRow, products_changed: bool,
                             now: datetime) -> list[SeatAllocation]:
    members = await uow.users.in_set(row.id)
    if products_changed:
        return [await settle_or_record(uow, user, now) for user in members]
    return [await current(uow, user) for user in members]


async def edit_subscription_set(cmd: EditSubscriptionSet, meta: MessageMeta, deps: Deps) -> SubscriptionSetReport:
    """Members are listed with their seats; when the products changed they move (all or nothing each)."""
    tenant_id, now = tenant_of(meta), deps.clock()

    async def work(uow: UnitOfWork) -> SubscriptionSetReport:
        row = await named_set(uow, tenant_id, cmd.name)
        products_changed = await edit(uow, row, cmd)
        row.modified = now
        uow.sets.add(row)
        return await report(uow, row, await members_after_edit(uow, row, products_changed, now))

    return await journaled(meta, deps, SubscriptionSetReport, work)


async def leave(uow: UnitOfWork, user_id: str, row: SubscriptionSetRow, now: datetime) -> SeatAllocation:
    """The user leaves the set and frees the seats only it gave them; a non-member is left as is, and
    their outcome carries no failure (an old refusal is not this change's)."""
    user = await user_row(uow, row.tenant_id, user_id, now)
    if user.set_id != row.id:
        return (await current(uow, user)).model_copy(update={"failure": None})
    user.set_id = None
    return await settle(uow, user, now, strict=False)


async def arrive(uow: UnitOfWork, user_id: str, row: SubscriptionSetRow, now: datetime,
                 deactivated: bool = False) -> SeatAllocation:
    """The user joins and takes the set's seats, all or none; a member of another set is refused, unchanged.
    One the store holds ``deactivated`` (never met here, say: created inactive) joins holding nothing."""
    user = await user_row(uow, row.tenant_id, user_id, now)
    try:
        await join(uow, user, row)
    except SeatRefusal as refusal:
        return await record_failure(uow, user, refusal, now)
    if deactivated:
        user.active = False
    return await settle_or_record(uow, user, now)


async def delete_subscription_set(cmd: DeleteSubscriptionSet, meta: MessageMeta,
                                  deps: Deps) -> SubscriptionSetReport:
    tenant_id, now = tenant_of(meta), deps.clock()

    async def work(uow: UnitOfWork) -> SubscriptionSetReport:
        row = await named_set(uow, tenant_id, cmd.name)
        outcomes = [await leave(uow, user.user_id, row, now) for user in await uow.users.in_set(row.id)]
        done = await report(uow, row, outcomes)
        await uow.sets.delete(row)
        return done

    return await journaled(meta, deps, SubscriptionSetReport, work)


async def change_set_membership(cmd: ChangeSetMembership, meta: MessageMeta, deps: Deps) -> SubscriptionSetReport:
    """Removals first, then additions, each user on their own; the set is then synced (Last Synced = now,
    and its event).

    No set of that name is NOT_FOUND: the user store tells every group's changes, most are ordinary groups."""
    tenant_id, now = tenant_of(meta), deps.clock()

    async def work(uow: UnitOfWork) -> SubscriptionSetReport:
        row = await named_set(uow, tenant_id, cmd.set_name)
        outcomes = [await leave(uow, user_id, row, now) for user_id in cmd.removed]
        inactive = set(cmd.inactive)
        outcomes += [await arrive(uow, user_id, row, now, user_id in inactive) for user_id in cmd.added]
        outcomes += [await arrive(uow, user_id, row, now) for user_id in cmd.reseat]
        row.last_synced = now
        uow.sets.add(row)
        synced = await report(uow, row, outcomes)
        uow.changes.append(synced_event(row.id, synced.subscription_set))
        return synced

    return await journaled(meta, deps, SubscriptionSetReport, work)


async def list_subscription_sets(_: ListSubscriptionSets, meta: MessageMeta, deps: Deps) -> SubscriptionSetList:
    async with deps.uow(read_only=True) as uow:
        rows = await uow.sets.all(tenant_of(meta))
        members = await uow.users.counts_by_set([row.id for row in rows])
        return SubscriptionSetList(sets=[set_record(row, members.get(row.id, 0)) for row in rows])


SET_HANDLERS: Mapping[type, Handler[Deps]] = {
    CreateSubscriptionSet: create_subscription_set,
    EditSubscriptionSet: edit_subscription_set,
    DeleteSubscriptionSet: delete_subscription_set,
    ChangeSetMembership: change_set_membership,
    ListSubscriptionSets: list_subscription_sets,
}
