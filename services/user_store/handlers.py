"""User store command handlers, declared in HANDLERS at the bottom (groups' join from group_handlers)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from contracts import ErrorCode, MessageMeta
from contracts.system.v1 import Ping
from contracts.users.v1 import (
    CreateUser,
    DeleteUser,
    GetUser,
    PatchUser,
    QueryUsers,
    ReplaceUser,
    UserDeleted,
    UserPage,
    UserRecord,
)
from services.user_store.common import (
    Deps,
    aware,
    check_precondition,
    journaled,
    patched,
)
from services.user_store.filter_sql import USER_TARGET
from services.user_store.group_handlers import GROUP_HANDLERS
from services.user_store.paging import page_of
from services.user_store.tables import UserRow
from services.user_store.unit_of_work import UnitOfWork
from shared.messaging.dispatch import CommandFailed, Handler, tenant_of
from shared.messaging.ping import ping
from shared.scim.attributes import USER
from shared.store import found

__all__ = ["Deps", "HANDLERS"]


def duplicate(user_name: str) -> CommandFailed:
    return CommandFailed(ErrorCode.UNIQUENESS, f"userName {user_name!r} is already taken in this tenant")


def to_record(row: UserRow, groups: list[dict[str, str]] | None = None) -> UserRecord:
    """The stored resource plus its read-only ``groups`` (RFC 7643 §4.1.2), when the user has any."""
    resource = {**row.resource, "groups": groups} if groups else row.resource
    return UserRecord(id=row.id, resource=resource, created=aware(row.created),
                      last_modified=aware(row.last_modified), version=row.version)


async def user_record(uow: UnitOfWork, row: UserRow) -> UserRecord:
    return to_record(row, (await uow.groups.groups_of([row.id])).get(row.id))


async def row_for_write(uow: UnitOfWork, meta: MessageMeta, user_id: str, if_match: str | None) -> UserRow:
    row = found(await uow.users.get(tenant_of(meta), user_id), "User", user_id)
    check_precondition(row, if_match, "User")
    return row


async def ensure_user_name_free(uow: UnitOfWork, tenant_id: str, user_name: str, own_id: str | None) -> None:
    """RFC 7643 §4.1.1: userName is unique per tenant, compared case-insensitively."""
    holder = await uow.users.find_by_user_name(tenant_id, user_name)
    if holder is not None and holder.id != own_id:
        raise duplicate(user_name)


async def store_user(uow: UnitOfWork, row: UserRow, resource: dict[str, Any], now: datetime) -> None:
    """Write a new state; an identical one changes nothing, so a re-sync keeps version and lastModified."""
    if resource == row.resource:
        return
    await ensure_user_name_free(uow, row.tenant_id, resource["userName"], row.id)
    row.resource = resource
    row.user_name, row.user_name_key = resource["userName"], resource["userName"].lower()
    row.external_id = resource.get("externalId")
    row.version, row.last_modified = row.version + 1, now
    uow.users.add(row)


def kept_emails(resource: dict[str, Any], row: UserRow, keep: bool) -> dict[str, Any]:
    """Under the tenant's "ignore email changes" policy the stored emails win over the IdP's."""
    if not keep:
        return resource
    others = {key: value for key, value in resource.items() if key != "emails"}
    return {**others, "emails": row.resource["emails"]} if "emails" in row.resource else others


async def create_user(cmd: CreateUser, meta: MessageMeta, deps: Deps) -> UserRecord:
    tenant_id, user_name = tenant_of(meta), cmd.resource["userName"]

    async def work(uow: UnitOfWork) -> UserRecord:
        await ensure_user_name_free(uow, tenant_id, user_name, None)
        now = deps.clock()
        row = UserRow(id=uuid.uuid4().hex, tenant_id=tenant_id, user_name=user_name,
                      user_name_key=user_name.lower(), external_id=cmd.resource.get("externalId"),
                      resource=cmd.resource, created=now, last_modified=now)
        uow.users.add(row)
        return to_record(row)

    return await journaled(meta, deps, UserRecord, work, duplicate(user_name))


async def replace_user(cmd: ReplaceUser, meta: MessageMeta, deps: Deps) -> UserRecord:
    async def work(uow: UnitOfWork) -> UserRecord:
        row = await row_for_write(uow, meta, cmd.id, cmd.if_match)
        await store_user(uow, row, kept_emails(cmd.resource, row, cmd.keep_emails), deps.clock())
        return await user_record(uow, row)

    return await journaled(meta, deps, UserRecord, work, duplicate(cmd.resource["userName"]))


async def patch_user(cmd: PatchUser, meta: MessageMeta, deps: Deps) -> UserRecord:
    async def work(uow: UnitOfWork) -> UserRecord:
        row = await row_for_write(uow, meta, cmd.id, cmd.if_match)
        resource = patched(row.id, row.resource, cmd.patch, USER)
        await store_user(uow, row, kept_emails(resource, row, cmd.keep_emails), deps.clock())
        return await user_record(uow, row)

    return await journaled(meta, deps, UserRecord, work, duplicate("(the new userName)"))


async def delete_user(cmd: DeleteUser, meta: MessageMeta, deps: Deps) -> UserDeleted:
    async def work(uow: UnitOfWork) -> UserDeleted:
        row = await row_for_write(uow, meta, cmd.id, cmd.if_match)
        await uow.groups.forget_user(row.id, deps.clock())
        await uow.users.delete(row)
        return UserDeleted(id=cmd.id)

    return await journaled(meta, deps, UserDeleted, work)


async def get_user(cmd: GetUser, meta: MessageMeta, deps: Deps) -> UserRecord:
    async with deps.uow() as uow:
        row = found(await uow.users.get(tenant_of(meta), cmd.id), "User", cmd.id)
        return await user_record(uow, row)


async def query_users(cmd: QueryUsers, meta: MessageMeta, deps: Deps) -> UserPage:
    async with deps.uow() as uow:
        rows, total = await page_of(uow.session, UserRow, USER_TARGET, USER, tenant_of(meta), cmd)
        groups = await uow.groups.groups_of([row.id for row in rows])
        return UserPage(total_results=total, start_index=cmd.start_index,
                        resources=[to_record(row, groups.get(row.id)) for row in rows])


HANDLERS: Mapping[type, Handler[Deps]] = {
    CreateUser: create_user,
    ReplaceUser: replace_user,
    PatchUser: patch_user,
    DeleteUser: delete_user,
    GetUser: get_user,
    QueryUsers: query_users,
    **GROUP_HANDLERS,
    Ping: ping,
}
