"""User store command handlers, declared in HANDLERS at the bottom."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from contracts import ErrorCode, MessageMeta
from contracts.system.v1 import Ping
from contracts.users.v1 import CreateUser, GetUser, QueryUsers, UserPage, UserRecord
from services.user_store.tables import UserRow
from services.user_store.unit_of_work import UnitOfWork
from shared.messaging.dispatch import CommandFailed, Handler
from shared.messaging.ping import ServiceIdentity, ping


@dataclass(frozen=True)
class Deps:
    identity: ServiceIdentity
    uow: Callable[[], UnitOfWork]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


def tenant_of(meta: MessageMeta) -> str:
    if not meta.tenant_id:
        raise CommandFailed(ErrorCode.INVALID_COMMAND, "tenant_id header is required")
    return meta.tenant_id


def to_record(row: UserRow) -> UserRecord:
    return UserRecord(
        id=row.id,
        resource=row.resource,
        created=row.created.replace(tzinfo=UTC),
        last_modified=row.last_modified.replace(tzinfo=UTC),
        version=row.version,
    )


def duplicate(user_name: str) -> CommandFailed:
    return CommandFailed(ErrorCode.UNIQUENESS, f"userName {user_name!r} is already taken in this tenant")


async def create_user(cmd: CreateUser, meta: MessageMeta, deps: Deps) -> UserRecord:
    tenant_id = tenant_of(meta)
    user_name = cmd.resource["userName"]
    async with deps.uow() as uow:
        if (earlier := await uow.journal.result_of(meta.message_id, UserRecord)) is not None:
            return earlier
        if await uow.users.find_by_user_name(tenant_id, user_name) is not None:
            raise duplicate(user_name)
        now = deps.clock()
        row = UserRow(
            id=uuid.uuid4().hex, tenant_id=tenant_id, user_name=user_name,
            user_name_key=user_name.lower(), external_id=cmd.resource.get("externalId"),
            resource=cmd.resource, created=now, last_modified=now,
        )
        uow.users.add(row)
        record = to_record(row)
        uow.journal.record(meta.message_id, record)
        try:
            await uow.commit()
        except IntegrityError:  # another store process committed the same userName first
            raise duplicate(user_name) from None
        return record


async def get_user(cmd: GetUser, meta: MessageMeta, deps: Deps) -> UserRecord:
    async with deps.uow() as uow:
        row = await uow.users.get(tenant_of(meta), cmd.id)
        if row is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"User {cmd.id} not found")
        return to_record(row)


async def query_users(cmd: QueryUsers, meta: MessageMeta, deps: Deps) -> UserPage:
    async with deps.uow() as uow:
        rows, total = await uow.users.query(tenant_of(meta), cmd.criteria, cmd.start_index - 1, cmd.count)
        return UserPage(total_results=total, start_index=cmd.start_index, resources=[to_record(r) for r in rows])


HANDLERS: Mapping[type, Handler[Deps]] = {
    CreateUser: create_user,
    GetUser: get_user,
    QueryUsers: query_users,
    Ping: ping,
}
