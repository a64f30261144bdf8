"""Group command handlers (RFC 7644 §3 on /Groups); their HANDLERS join the user store's.

A group whose displayName is exactly a subscription set's name is that set (the ZoomInfo guide for Entra ID): every
group write is a SeatedWrite (seat_saga.py) that tells the allocator who joined and who left
(group_membership.py); a group no set is named after gets an empty answer and stays an ordinary group."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any, TypeVar

from contracts import ErrorCode, MessageMeta
from contracts.events.v1 import GROUP_CREATED, GROUP_DELETED, GROUP_UPDATED
from contracts.groups.v1 import (
    CreateGroup,
    DeleteGroup,
    GetGroup,
    GroupDeleted,
    GroupPage,
    GroupRecord,
    PatchGroup,
    QueryGroups,
    ReplaceGroup,
)
from contracts.seats.v1 import SubscriptionSetReport
from contracts.users.v1 import RecordSeatStates, SeatStatesRecorded
from services.user_store.deps import Deps
from services.user_store.events import Emitted, group_data, membership_events
from services.user_store.filter_sql import GROUP_TARGET
from services.user_store.group_membership import (
    GroupChange,
    MembersChange,
    Membership,
    member_ids,
    membership,
    without_members,
)
from services.user_store.group_repository import Group, new_group
from services.user_store.member_delta import MemberDelta, member_delta
from services.user_store.outcomes import (
    member_outcomes,
    members_of,
    seat_outcome,
    send_quietly,
)
from services.user_store.paging import page_of
from services.user_store.seat_saga import ChangeT, CommandT, ResultT, SeatedWrite
from services.user_store.seat_state import SeatAnswer, SeatState
from services.user_store.tables import GroupRow
from services.user_store.unit_of_work import UnitOfWork
from services.user_store.write_checks import (
    check_precondition,
    patched,
    unchanged_since,
)
from shared.messaging.dispatch import CommandFailed, Handler, tenant_of
from shared.messaging.worker import send_before_commit
from shared.scim.attributes import GROUP
from shared.store import as_utc, found

UpdateT = TypeVar("UpdateT", ReplaceGroup, PatchGroup)


def duplicate(display_name: str) -> CommandFailed:
    return CommandFailed(ErrorCode.UNIQUENESS, f"A group named {display_name!r} already exists in this tenant")


async def group_record(uow: UnitOfWork, row: Group, include_members: bool = True) -> GroupRecord:
    members = (await uow.groups.members([row.id])).get(row.id) if include_members else None
    return to_record(row, members)


def to_record(row: Group, members: list[dict[str, str]] | None) -> GroupRecord:
    resource = {**row.resource, "members": members} if members else row.resource
    return GroupRecord(id=row.id, resource=resource, created=as_utc(row.created),
                       last_modified=as_utc(row.last_modified), version=row.version)


async def ensure_display_name_free(uow: UnitOfWork, tenant_id: str, name: str, own_id: str | None) -> None:
    holder = await uow.groups.find_by_display_name(tenant_id, name)
    if holder is not None and holder.id != own_id:
        raise duplicate(name)


async def ensure_members_exist(uow: UnitOfWork, tenant_id: str, ids: AbstractSet[str]) -> frozenset[str]:
    """Members must be users of the same tenant (RFC 7643 §4.2); another tenant's id is just unknown.
    Returns those of them that are deactivated."""
    found = await uow.groups.existing_users(tenant_id, ids)
    if missing := ids - found.keys():
        raise CommandFailed(ErrorCode.INVALID_VALUE, f"members: no such user(s): {', '.join(sorted(missing))}")
    return frozenset(user_id for user_id, active in found.items() if not active)


async def row_for_write(uow: UnitOfWork, meta: MessageMeta, group_id: str, if_match: str | None) -> Group:
    row = found(await uow.groups.get(tenant_of(meta), group_id), "Group", group_id)
    check_precondition(row, if_match, "Group")
    return row


async def store_group(uow: UnitOfWork, row: Group, resource: dict[str, Any], now: datetime) -> list[Emitted]:
    """Write a new state as row + membership set differences; identical state changes nothing. Returns the
    events of what changed: the group's attributes, members leaving, members joining."""
    new_members, old_members = member_ids(resource), await uow.groups.member_ids(row.id)
    stripped = without_members(resource)
    if stripped == row.resource and new_members == old_members:
        return []
    await ensure_display_name_free(uow, row.tenant_id, stripped["displayName"], row.id)
    joining, leaving = new_members - old_members, old_members - new_members
    await move_members(uow, row, joining, leaving)
    attributes_changed = stripped != row.resource
    row.resource, row.display_name = stripped, stripped["displayName"]
    row.display_name_key, row.external_id = row.display_name.lower(), stripped.get("externalId")
    row.version, row.last_modified = row.version + 1, now
    await uow.groups.save(row)
    updated = [(GROUP_UPDATED, row.id, group_data(to_record(row, None)))] if attributes_changed else []
    return updated + membership_events(row.id, joining, leaving)


async def move_members(uow: UnitOfWork, row: Group, joining: AbstractSet[str], leaving: AbstractSet[str]) -> None:
    """Members in and out as set operations; those joining must (still) be the tenant's users."""
    await ensure_members_exist(uow, row.tenant_id, joining)
    await uow.groups.add_members(row.id, joining)
    await uow.groups.remove_members(row.id, leaving)


async def stored_membership(uow: UnitOfWork, row: Group) -> Membership:
    return Membership(row.display_name, frozenset(await uow.groups.member_ids(row.id)))


async def check_new_state(uow: UnitOfWork, row: Group | None, tenant_id: str, resource: dict[str, Any],
                          members_before: frozenset[str] = frozenset()) -> frozenset[str]:
    """The name free, the joining members the tenant's users; returns the deactivated among those."""
    await ensure_display_name_free(uow, tenant_id, resource["displayName"], row.id if row else None)
    return await ensure_members_exist(uow, tenant_id, member_ids(resource) - members_before)


class GroupWrite(SeatedWrite[CommandT, ChangeT, ResultT]):
    """A group's write. The members whose seats the set moved carry the allocator's word on their own rows
    (``record_members_seats``, as the write is stored), and once it is done each member the set moved or
    refused is reported to the sync-status reporter (a redelivery answered from the journal has nothing
    new to report)."""

    def __init__(self, command: CommandT, meta: MessageMeta, deps: Deps) -> None:
        super().__init__(command, meta, deps)
        self._moved: list[SeatAnswer] = []
        self._own_roles: dict[str, str | None] = {}  # the moved members' roles, for the role each set leaves them

    async def run(self) -> ResultT:
        result = await super().run()
        for outcome in member_outcomes(self._moved, self.deps.clock(), self._own_roles):
            await send_before_commit(send_quietly(self.deps.report, outcome, self.tenant_id,
                                                  f"{self.meta.message_id}:member:{outcome.user_id}"))
        return result

    async def record_members_seats(self, uow: UnitOfWork, answers: list[SeatAnswer], now: datetime) -> None:
        """Members whose seats the set moved carry the allocator's word (``platformActive`` ...), and are
        reported once the write is done."""
        states = {outcome.user_id: SeatState.of(outcome) for answer in answers
                  if isinstance(answer, SubscriptionSetReport) for outcome in answer.outcomes}
        await uow.users.record_seat_states(self.tenant_id, states, now)
        self._moved = answers
        self._own_roles = await uow.users.own_roles(self.tenant_id, members_of(answers))


class GroupCreation(GroupWrite[CreateGroup, GroupChange, GroupRecord]):
    """A new group; its members join the set named like it, if any."""

    result_type = GroupRecord

    @property
    def conflict(self) -> CommandFailed:
        return duplicate(self.command.resource["displayName"])

    async def prepare(self, uow: UnitOfWork) -> GroupChange:
        resource = self.command.resource
        inactive = await check_new_state(uow, None, self.tenant_id, resource)
        group_id = await self.new_id(uow, resource["displayName"])
        return GroupChange(group_id, None, membership(resource), resource, inactive=inactive)

    async def finish(self, uow: UnitOfWork, change: GroupChange, answers: list[SeatAnswer]) -> GroupRecord:
        resource = self.command.resource
        await check_new_state(uow, None, self.tenant_id, resource)
        now, name = self.deps.clock(), resource["displayName"]
        row = new_group(id=change.group_id, tenant_id=self.tenant_id, display_name=name,
                        display_name_key=name.lower(), external_id=resource.get("externalId"),
                        resource=without_members(resource), created=now, last_modified=now)
        await uow.groups.add(row)
        members = member_ids(resource)
        await uow.groups.add_members(row.id, members)
        await self.record_members_seats(uow, answers, now)
        record = await group_record(uow, row)
        await uow.events.emit_all(self.meta, [(GROUP_CREATED, row.id, group_data(record)),
                                              *membership_events(row.id, members, ())], now)
        return record


class GroupUpdate(GroupWrite[UpdateT, GroupChange, GroupRecord]):
    """PUT and PATCH: the new state is computed from the stored one (``new_state``), then written with its
    sets' seats."""

    result_type = GroupRecord

    @abstractmethod
    def new_state(self, row: Group, members: frozenset[str]) -> dict[str, Any]:
        """The group as the command leaves it, members included."""

    async def prepare(self, uow: UnitOfWork) -> GroupChange:
        row = await row_for_write(uow, self.meta, self.command.id, self.command.if_match)
        before = await stored_membership(uow, row)
        resource = self.new_state(row, before.members)
        after = membership(resource)
        # a renamed group's members all join the set of its new name: each one's activity is needed
        staying = before.members if after.name == before.name else frozenset()
        inactive = await check_new_state(uow, row, row.tenant_id, resource, staying)
        waiting = frozenset(await uow.groups.waiting_for_seats(after.name, staying & after.members))
        return GroupChange(row.id, before, after, resource, row.version, inactive, waiting)

    async def finish(self, uow: UnitOfWork, change: GroupChange, answers: list[SeatAnswer]) -> GroupRecord:
        row = unchanged_since(await uow.groups.get(self.tenant_id, change.group_id), "Group", change.group_id,
                              change.version)
        now = self.deps.clock()
        assert change.resource is not None
        await uow.events.emit_all(self.meta, await store_group(uow, row, change.resource, now), now)
        await self.record_members_seats(uow, answers, now)
        return await group_record(uow, row, self.command.include_members)


class GroupReplacement(GroupUpdate[ReplaceGroup]):
    @property
    def conflict(self) -> CommandFailed:
        return duplicate(self.command.resource.get("displayName", ""))

    def new_state(self, row: Group, members: frozenset[str]) -> dict[str, Any]:
        return self.command.resource


class GroupPatch(GroupUpdate[PatchGroup]):
    @property
    def conflict(self) -> CommandFailed:
        return duplicate("(renamed group)")

    def new_state(self, row: Group, members: frozenset[str]) -> dict[str, Any]:
        current = {**row.resource, "members": [{"value": member} for member in sorted(members)]}
        return patched(row.id, current, self.command.patch, GROUP)


class MembersUpdate(GroupWrite[PatchGroup, MembersChange, GroupRecord]):
    """A PATCH of listed members only (member_delta.py): set operations on the members it names; the rest
    of the group is not read."""

    result_type = GroupRecord

    def __init__(self, command: PatchGroup, meta: MessageMeta, deps: Deps, delta: MemberDelta) -> None:
        super().__init__(command, meta, deps)
        self.delta = delta

    async def prepare(self, uow: UnitOfWork) -> MembersChange:
        row = await row_for_write(uow, self.meta, self.command.id, self.command.if_match)
        if not self.delta.holds_for(row.id, row.display_name):  # renamed since the look (say, in a rebalance)
            raise CommandFailed(ErrorCode.UNAVAILABLE, "The group changed meanwhile; retry", retryable=True)
        wanted = self.delta.wanted
        present = await uow.groups.members_among(row.id, wanted)
        joining = frozenset(user_id for user_id, member in wanted.items() if member and user_id not in present)
        inactive = await ensure_members_exist(uow, row.tenant_id, joining)
        leaving = frozenset(user_id for user_id, member in wanted.items() if not member and user_id in present)
        named_again = {user_id for user_id, member in wanted.items() if member and user_id in present}
        waiting = frozenset(await uow.groups.waiting_for_seats(row.display_name, named_again))
        return MembersChange(row.id, row.display_name, joining, leaving, row.version, inactive, waiting)

    async def finish(self, uow: UnitOfWork, change: MembersChange, answers: list[SeatAnswer]) -> GroupRecord:
        row = unchanged_since(await uow.groups.get(self.tenant_id, change.group_id), "Group", change.group_id,
                              change.version)
        now = self.deps.clock()
        if change.joining or change.leaving:  # else: the same state again (Entra's cycle), no new version
            await move_members(uow, row, change.joining, change.leaving)  # checked again: none deleted meanwhile
            row.version, row.last_modified = row.version + 1, now
            await uow.groups.save(row)
            await uow.events.emit_all(self.meta, membership_events(row.id, change.joining, change.leaving), now)
        await self.record_members_seats(uow, answers, now)
        return await group_record(uow, row, self.command.include_members)


class GroupDeletion(GroupWrite[DeleteGroup, GroupChange, GroupDeleted]):
    """The members leave the set named like the group, if any; then the group goes."""

    result_type = GroupDeleted

    async def prepare(self, uow: UnitOfWork) -> GroupChange:
        row = await row_for_write(uow, self.meta, self.command.id, self.command.if_match)
        return GroupChange(row.id, await stored_membership(uow, row), None, None, row.version)

    async def finish(self, uow: UnitOfWork, change: GroupChange, answers: list[SeatAnswer]) -> GroupDeleted:
        now = self.deps.clock()
        if (row := await uow.groups.get(self.tenant_id, change.group_id)) is not None:
            await uow.groups.delete(row)
            await uow.events.emit(self.meta, GROUP_DELETED, row.id, group_data(to_record(row, None)), now)
        await self.record_members_seats(uow, answers, now)
        return GroupDeleted(id=self.command.id)


async def patch_group(cmd: PatchGroup, meta: MessageMeta, deps: Deps) -> GroupRecord:
    """A PATCH of listed members only (Okta's and Entra's membership pushes) is a MembersUpdate; any other
    is applied to the whole group (GroupPatch)."""
    delta = member_delta(cmd.patch)
    if delta is not None and (not delta.as_stored or await holds_as_stored(deps, meta, cmd.id, delta)):
        return await MembersUpdate(cmd, meta, deps, delta).run()
    return await GroupPatch(cmd, meta, deps).run()


async def holds_as_stored(deps: Deps, meta: MessageMeta, group_id: str, delta: MemberDelta) -> bool:
    """Whether the group's id and name are what the PATCH repeats (Okta's, with each membership update)."""
    async with deps.uow(read_only=True) as uow:
        row = await uow.groups.get(tenant_of(meta), group_id)
    return row is not None and delta.holds_for(row.id, row.display_name)


async def get_group(cmd: GetGroup, meta: MessageMeta, deps: Deps) -> GroupRecord:
    async with deps.uow(read_only=True) as uow:
        row = found(await uow.groups.get(tenant_of(meta), cmd.id), "Group", cmd.id)
        return await group_record(uow, row, cmd.include_members)


async def query_groups(cmd: QueryGroups, meta: MessageMeta, deps: Deps) -> GroupPage:
    async with deps.uow(read_only=True) as uow:
        rows, total = await page_of(uow, GroupRow, GROUP_TARGET, GROUP, tenant_of(meta), cmd, deps.query_budget)
        members = await uow.groups.members([row.id for row in rows]) if cmd.include_members else {}
        return GroupPage(total_results=total, start_index=cmd.start_index,
                         resources=[to_record(row, members.get(row.id)) for row in rows])


async def record_seat_states(cmd: RecordSeatStates, meta: MessageMeta, deps: Deps) -> SeatStatesRecorded:
    """An admin's change moved these users' seats at the allocator (a set edited or deleted, seats bought
    for members waiting): their rows show it, and their sync status. Repeated, it changes nothing more."""
    now, tenant_id = deps.clock(), tenant_of(meta)
    async with deps.uow() as uow:
        await uow.users.record_seat_states(tenant_id, {a.user_id: SeatState.of(a) for a in cmd.allocations}, now)
        own_roles = await uow.users.own_roles(tenant_id, [a.user_id for a in cmd.allocations])
        await uow.commit()
    for allocation in cmd.allocations:
        outcome = seat_outcome(allocation, "seats moved by an admin's change", now, own_roles.get(allocation.user_id))
        await send_before_commit(send_quietly(deps.report, outcome, tenant_id,
                                           f"{meta.message_id}:member:{allocation.user_id}"))
    return SeatStatesRecorded(recorded=len(cmd.allocations))


GROUP_HANDLERS: Mapping[type, Handler[Deps]] = {
    CreateGroup: GroupCreation.handle,
    ReplaceGroup: GroupReplacement.handle,
    PatchGroup: patch_group,
    DeleteGroup: GroupDeletion.handle,
    GetGroup: get_group,
    QueryGroups: query_groups,
    RecordSeatStates: record_seat_states,
}
