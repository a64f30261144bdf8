"""User store command handlers, declared in HANDLERS at the bottom (groups' join from group_handlers).

Every write of a user is a SeatedWrite (seat_saga.py): the saga settles the seats it moves before
the user is stored."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import orjson

from contracts import ErrorCode, MessageMeta
from contracts.events.v1 import USER_CREATED, USER_DELETED
from contracts.filters import Comparison
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
from services.user_store.deps import Deps
from services.user_store.events import membership_events, user_data, user_event_type
from services.user_store.filter_sql import USER_TARGET
from services.user_store.group_handlers import GROUP_HANDLERS
from services.user_store.outcomes import note_unchanged
from services.user_store.paging import filter_of, page_of
from services.user_store.repository import User, new_user
from services.user_store.seat_saga import CommandT, ResultT, SeatedWrite
from services.user_store.seat_state import (
    SeatAnswer,
    SeatCommand,
    SeatState,
    Transition,
    restated_step,
    state_after,
)
from services.user_store.tables import UserRow
from services.user_store.unit_of_work import UnitOfWork
from services.user_store.write_checks import (
    check_precondition,
    patched,
    unchanged_since,
)
from shared.messaging.dispatch import CommandFailed, Handler, tenant_of
from shared.messaging.ping import ping
from shared.scim.attributes import USER
from shared.scim.resource import is_active, with_user_defaults
from shared.scim.schemas import EXTENSION_SCHEMA
from shared.scim.vendor import with_admin_managed
from shared.store import as_utc, found

UpdateT = TypeVar("UpdateT", ReplaceUser, PatchUser)


def duplicate(user_name: str) -> CommandFailed:
    return CommandFailed(ErrorCode.UNIQUENESS, f"userName {user_name!r} is already taken in this tenant")


def to_record(row: User, groups: list[dict[str, str]] | None = None) -> UserRecord:
    """The stored resource plus what is computed: ``groups`` (RFC 7643 §4.1.2) and the seat state."""
    resource = with_seat_state(row.resource, SeatState.of_row(row))
    return UserRecord(id=row.id, resource={**resource, "groups": groups} if groups else resource,
                      created=as_utc(row.created), last_modified=as_utc(row.last_modified), version=row.version)


def with_seat_state(resource: dict[str, Any], state: SeatState) -> dict[str, Any]:
    """The vendor extension's read-only seat state: ``scimActive`` (assigned and synced), ``platformActive``
    (holds a seat) and, for a subscription set's member, the set and the role it leaves them with."""
    extension = {**resource.get(EXTENSION_SCHEMA, {}), "scimActive": is_active(resource),
                 "platformActive": state.platform_active}
    if state.subscription_set is not None:
        extension["subscriptionSet"] = state.subscription_set
        extension["effectiveRole"] = state.set_role or extension.get("role") or "User"
    schemas = resource.get("schemas", [])
    return {**resource, "schemas": schemas if EXTENSION_SCHEMA in schemas else [*schemas, EXTENSION_SCHEMA],
            EXTENSION_SCHEMA: extension}


async def user_record(uow: UnitOfWork, row: User) -> UserRecord:
    return to_record(row, (await uow.groups.groups_of([row.id])).get(row.id))


async def row_for_write(uow: UnitOfWork, meta: MessageMeta, user_id: str, if_match: str | None) -> User:
    row = found(await uow.users.get(tenant_of(meta), user_id), "User", user_id)
    check_precondition(row, if_match, "User")
    return row


#: The largest user the store keeps, as JSON: a thousand times a real one. A PATCH cannot grow a user
#: past it, so every user fits in a reply the bus carries (shared/messaging/transport.MAX_RECORD_BYTES).
MAX_USER_BYTES = 256 * 1024


def ensure_storable(resource: dict[str, Any]) -> dict[str, Any]:
    if len(orjson.dumps(resource)) > MAX_USER_BYTES:
        raise CommandFailed(ErrorCode.TOO_LARGE, f"The user would be larger than {MAX_USER_BYTES // 1024} KiB")
    return resource


async def ensure_user_name_free(uow: UnitOfWork, tenant_id: str, user_name: str, own_id: str | None) -> None:
    """RFC 7643 §4.1.1: userName is unique per tenant, compared case-insensitively."""
    holder = await uow.users.id_by_user_name(tenant_id, user_name)
    if holder is not None and holder != own_id:
        raise duplicate(user_name)


async def store_user(uow: UnitOfWork, row: User, resource: dict[str, Any], now: datetime,
                     seats: SeatState) -> bool:
    """Write a new state; an identical one changes nothing, so a re-sync keeps version and lastModified
    (and its outcome says so: the reporter counts it instead of adding it to the user's history, and it
    emits no event). Returns whether it changed the user."""
    if resource == row.resource and seats == SeatState.of_row(row):
        note_unchanged()
        return False
    await ensure_user_name_free(uow, row.tenant_id, resource["userName"], row.id)
    row.resource = resource
    seats.write_on(row)
    row.user_name, row.user_name_key = resource["userName"], resource["userName"].lower()
    row.external_id = resource.get("externalId")
    row.version, row.last_modified = row.version + 1, now
    await uow.users.save(row)
    return True


def kept_emails(resource: dict[str, Any], row: User, keep: bool) -> dict[str, Any]:
    """Under the tenant's "ignore email changes" policy the stored emails win over the IdP's."""
    if not keep:
        return resource
    others = {key: value for key, value in resource.items() if key != "emails"}
    return {**others, "emails": row.resource["emails"]} if "emails" in row.resource else others


class UserWrite(SeatedWrite[CommandT, Transition, ResultT]):
    """A write of one user. Its seat command states what the user is to hold, so it supersedes an older
    write's that is unfinished: the allocator hears what this one leaves, even when it moves no seat."""

    async def steps(self, uow: UnitOfWork, transition: Transition) -> list[SeatCommand]:
        steps = transition.steps()
        if not steps and await uow.intents.others_pending(self.meta, transition.user_id):
            # An older write of this user is unfinished (its caller got a 503, the sweeper would finish it
            # on top of this one): it is superseded, and the allocator hears what this write leaves.
            steps = [restated_step(transition.user_id, transition.after)]
        return steps


class UserCreation(UserWrite[CreateUser, UserRecord]):
    """Stored only once the user's seats are settled: a user the allocator refuses is not created."""

    result_type = UserRecord

    @property
    def conflict(self) -> CommandFailed:
        return duplicate(self.command.resource["userName"])

    async def prepare(self, uow: UnitOfWork) -> Transition:
        resource = ensure_storable(self.command.resource)
        await ensure_user_name_free(uow, self.tenant_id, resource["userName"], None)
        return Transition(await self.new_id(uow, resource["userName"]), None, resource)

    async def finish(self, uow: UnitOfWork, transition: Transition, answers: list[SeatAnswer]) -> UserRecord:
        resource, user_name = self.command.resource, self.command.resource["userName"]
        await ensure_user_name_free(uow, self.tenant_id, user_name, None)
        now = self.deps.clock()
        row = new_user(id=transition.user_id, tenant_id=self.tenant_id, user_name=user_name,
                       user_name_key=user_name.lower(), external_id=resource.get("externalId"),
                       resource=resource, created=now, last_modified=now)
        state_after(answers, SeatState()).write_on(row)
        await uow.users.add(row)
        record = to_record(row)
        await uow.events.emit(self.meta, USER_CREATED, row.id, user_data(record), now)
        return record


class UserUpdate(UserWrite[UpdateT, UserRecord]):
    """PUT and PATCH: the new state is computed from the stored row (``new_state``), then written with
    its seats."""

    result_type = UserRecord

    @abstractmethod
    def new_state(self, row: User) -> dict[str, Any]:
        """The user as the command leaves them."""

    async def prepare(self, uow: UnitOfWork) -> Transition:
        row = await row_for_write(uow, self.meta, self.command.id, self.command.if_match)
        after = ensure_storable(kept_emails(self.new_state(row), row, self.command.keep_emails))
        return Transition(row.id, row.resource, after, row.version)

    async def finish(self, uow: UnitOfWork, transition: Transition, answers: list[SeatAnswer]) -> UserRecord:
        row = unchanged_since(await uow.users.get(self.tenant_id, transition.user_id), "User", transition.user_id,
                              transition.version)
        assert transition.after is not None
        before, now = row.resource, self.deps.clock()
        changed = await store_user(uow, row, transition.after, now, state_after(answers, SeatState.of_row(row)))
        record = await user_record(uow, row)
        if changed:
            await uow.events.emit(self.meta, user_event_type(before, row.resource), row.id, user_data(record), now)
        return record


class UserReplacement(UserUpdate[ReplaceUser]):
    """The IdP's new state; role and credits it leaves out stay as the admin set them (shared/scim/vendor.py)."""

    @property
    def conflict(self) -> CommandFailed:
        return duplicate(self.command.resource["userName"])

    def new_state(self, row: User) -> dict[str, Any]:
        return with_admin_managed(self.command.resource, row.resource)


class UserPatch(UserUpdate[PatchUser]):
    @property
    def conflict(self) -> CommandFailed:
        return duplicate("(the new userName)")

    def new_state(self, row: User) -> dict[str, Any]:
        return with_user_defaults(patched(row.id, row.resource, self.command.patch, USER))


class UserDeletion(UserWrite[DeleteUser, UserDeleted]):
    """The seats are freed first; the user is removed with the allocator's release confirmed."""

    result_type = UserDeleted

    async def prepare(self, uow: UnitOfWork) -> Transition:
        row = await row_for_write(uow, self.meta, self.command.id, self.command.if_match)
        return Transition(row.id, row.resource, None, row.version)

    async def finish(self, uow: UnitOfWork, transition: Transition, _: list[SeatAnswer]) -> UserDeleted:
        if (row := await uow.users.get(self.tenant_id, transition.user_id)) is not None:
            now = self.deps.clock()
            left = await uow.groups.forget_user(row.id, now)
            await uow.users.delete(row)
            await uow.events.emit_all(self.meta, [event for group_id in left
                                                  for event in membership_events(group_id, (), [row.id])], now)
            await uow.events.emit(self.meta, USER_DELETED, row.id, user_data(to_record(row)), now)
        return UserDeleted(id=self.command.id)


async def get_user(cmd: GetUser, meta: MessageMeta, deps: Deps) -> UserRecord:
    async with deps.uow(read_only=True) as uow:
        row = found(await uow.users.get(tenant_of(meta), cmd.id), "User", cmd.id)
        return await user_record(uow, row)


async def query_users(cmd: QueryUsers, meta: MessageMeta, deps: Deps) -> UserPage:
    user_name = user_name_asked(cmd)
    async with deps.uow(read_only=True) as uow:
        if user_name is not None:
            matches = await uow.users.with_user_name(tenant_of(meta), user_name)
            rows, total = matches[cmd.start_index - 1:][:cmd.count], len(matches)
        else:
            rows, total = await page_of(uow, UserRow, USER_TARGET, USER, tenant_of(meta), cmd, deps.query_budget)
        groups = await uow.groups.groups_of([row.id for row in rows])
        return UserPage(total_results=total, start_index=cmd.start_index,
                        resources=[to_record(row, groups.get(row.id)) for row in rows])


USER_NAME = USER.resolve("userName")


def user_name_asked(query: QueryUsers) -> str | None:
    """The name an IdP looks up before every create (``userName eq "..."``, Okta and Entra alike), so
    it skips the general filter compiler; None for any other query."""
    node = filter_of(query, USER)
    if isinstance(node, Comparison) and node.op == "eq" and node.path == USER_NAME and isinstance(node.value, str):
        return node.value
    return None


HANDLERS: Mapping[type, Handler[Deps]] = {
    CreateUser: UserCreation.handle,
    ReplaceUser: UserReplacement.handle,
    PatchUser: UserPatch.handle,
    DeleteUser: UserDeletion.handle,
    GetUser: get_user,
    QueryUsers: query_users,
    **GROUP_HANDLERS,
    Ping: ping,
}
