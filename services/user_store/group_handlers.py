"""Group command handlers (RFC 7644 §3 on /Groups); their HANDLERS join the user store's."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from contracts import ErrorCode, MessageMeta
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
from services.user_store.common import (
    Deps,
    aware,
    check_precondition,
    journaled,
    patched,
)
from services.user_store.filter_sql import GROUP_TARGET
from services.user_store.paging import page_of
from services.user_store.tables import GroupRow
from services.user_store.unit_of_work import UnitOfWork
from shared.messaging.dispatch import CommandFailed, Handler, tenant_of
from shared.scim.attributes import GROUP
from shared.store import found


def duplicate(display_name: str) -> CommandFailed:
    return CommandFailed(ErrorCode.UNIQUENESS, f"A group named {display_name!r} already exists in this tenant")


def member_ids(resource: Mapping[str, Any]) -> set[str]:
    return {member["value"] for member in resource.get("members", []) if member.get("value")}


def without_members(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in resource.items() if key != "members"}


async def group_record(uow: UnitOfWork, row: GroupRow, include_members: bool = True) -> GroupRecord:
    members = (await uow.groups.members([row.id])).get(row.id) if include_members else None
    return to_record(row, members)


def to_record(row: GroupRow, members: list[dict[str, str]] | None) -> GroupRecord:
    resource = {**row.resource, "members": members} if members else row.resource
    return GroupRecord(id=row.id, resource=resource, created=aware(row.created),
                       last_modified=aware(row.last_modified), version=row.version)


async def ensure_display_name_free(uow: UnitOfWork, tenant_id: str, name: str, own_id: str | None) -> None:
    holder = await uow.groups.find_by_display_name(tenant_id, name)
    if holder is not None and holder.id != own_id:
        raise duplicate(name)


async def ensure_members_exist(uow: UnitOfWork, tenant_id: str, ids: set[str]) -> None:
    """Members must be users of the same tenant (RFC 7643 §4.2); another tenant's id is just unknown."""
    missing = ids - await uow.groups.existing_users(tenant_id, ids)
    if missing:
        raise CommandFailed(ErrorCode.INVALID_VALUE, f"members: no such user(s): {', '.join(sorted(missing))}")


async def row_for_write(uow: UnitOfWork, meta: MessageMeta, group_id: str, if_match: str | None) -> GroupRow:
    row = found(await uow.groups.get(tenant_of(meta), group_id), "Group", group_id)
    check_precondition(row, if_match, "Group")
    return row


async def store_group(uow: UnitOfWork, row: GroupRow, resource: dict[str, Any], now: datetime) -> None:
    """Write a new state as row + membership set differences; identical state changes nothing."""
    new_members, old_members = member_ids(resource), await uow.groups.member_ids(row.id)
    stripped = without_members(resource)
    if stripped == row.resource and new_members == old_members:
        return
    await ensure_display_name_free(uow, row.tenant_id, stripped["displayName"], row.id)
    await ensure_members_exist(uow, row.tenant_id, new_members - old_members)
    await uow.groups.add_members(row.id, new_members - old_members)
    await uow.groups.remove_members(row.id, old_members - new_members)
    row.resource, row.display_name = stripped, stripped["displayName"]
    row.display_name_key, row.external_id = row.display_name.lower(), stripped.get("externalId")
    row.version, row.last_modified = row.version + 1, now
    uow.groups.add(row)


async def create_group(cmd: CreateGroup, meta: MessageMeta, deps: Deps) -> GroupRecord:
    tenant_id, name = tenant_of(meta), cmd.resource["displayName"]

    async def work(uow: UnitOfWork) -> GroupRecord:
        await ensure_display_name_free(uow, tenant_id, name, None)
        members = member_ids(cmd.resource)
        await ensure_members_exist(uow, tenant_id, members)
        now = deps.clock()
        row = GroupRow(id=uuid.uuid4().hex, tenant_id=tenant_id, display_name=name,
                       display_name_key=name.lower(), external_id=cmd.resource.get("externalId"),
                       resource=without_members(cmd.resource), created=now, last_modified=now)
        uow.groups.add(row)
        await uow.groups.add_members(row.id, members)
        return await group_record(uow, row)

    return await journaled(meta, deps, GroupRecord, work, duplicate(name))


async def replace_group(cmd: ReplaceGroup, meta: MessageMeta, deps: Deps) -> GroupRecord:
    async def work(uow: UnitOfWork) -> GroupRecord:
        row = await row_for_write(uow, meta, cmd.id, cmd.if_match)
        await store_group(uow, row, cmd.resource, deps.clock())
        return await group_record(uow, row)

    return await journaled(meta, deps, GroupRecord, work, duplicate(cmd.resource.get("displayName", "")))


async def patch_group(cmd: PatchGroup, meta: MessageMeta, deps: Deps) -> GroupRecord:
    async def work(uow: UnitOfWork) -> GroupRecord:
        row = await row_for_write(uow, meta, cmd.id, cmd.if_match)
        current = {**row.resource, "members": [{"value": m} for m in sorted(await uow.groups.member_ids(row.id))]}
        await store_group(uow, row, patched(row.id, current, cmd.patch, GROUP), deps.clock())
        return await group_record(uow, row)

    return await journaled(meta, deps, GroupRecord, work, duplicate("(renamed group)"))


async def delete_group(cmd: DeleteGroup, meta: MessageMeta, deps: Deps) -> GroupDeleted:
    async def work(uow: UnitOfWork) -> GroupDeleted:
        await uow.groups.delete(await row_for_write(uow, meta, cmd.id, cmd.if_match))
        return GroupDeleted(id=cmd.id)

    return await journaled(meta, deps, GroupDeleted, work)


async def get_group(cmd: GetGroup, meta: MessageMeta, deps: Deps) -> GroupRecord:
    async with deps.uow() as uow:
        row = found(await uow.groups.get(tenant_of(meta), cmd.id), "Group", cmd.id)
        return await group_record(uow, row, cmd.include_members)


async def query_groups(cmd: QueryGroups, meta: MessageMeta, deps: Deps) -> GroupPage:
    async with deps.uow() as uow:
        rows, total = await page_of(uow.session, GroupRow, GROUP_TARGET, GROUP, tenant_of(meta), cmd)
        members = await uow.groups.members([row.id for row in rows]) if cmd.include_members else {}
        return GroupPage(total_results=total, start_index=cmd.start_index,
                         resources=[to_record(row, members.get(row.id)) for row in rows])


GROUP_HANDLERS: Mapping[type, Handler[Deps]] = {
    CreateGroup: create_group,
    ReplaceGroup: replace_group,
    PatchGroup: patch_group,
    DeleteGroup: delete_group,
    GetGroup: get_group,
    QueryGroups: query_groups,
}
