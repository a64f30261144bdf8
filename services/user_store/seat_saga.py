"""A user's seats kept in step with the seat allocator: a saga the user store runs per user write.

A write that moves seats (a create, a (re)activation or new products, a deactivation, a deletion)
goes in three steps:

1. one transaction checks the write and records its intent (the command, by message id);
2. the allocator is asked, with a message id derived from the command's, so that asking again is
   answered from the allocator's journal and never takes a seat twice;
3. one transaction writes the user's new state with the allocator's answer (``platformActive``),
   journals the reply and deletes the intent.

A crash, a timeout or a lost reply between the steps leaves the intent; the command's redelivery or
the sweeper (``resume_stale``) runs the command again, which finds its intent (so a create keeps
its new user id) and repeats steps 2 and 3. The user is written only after the seats are settled:
a user the allocator refused (no free seat, product not subscribed ...) is never stored, and the
IdP gets the allocator's reason as the SCIM error's ``detail``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import orjson

from contracts import Command, ErrorCode, MessageMeta, Reply, Result
from contracts.seats.v1 import AllocateSeats, ReleaseSeats, SeatAllocation
from services.user_store.common import Deps, SeatCommand, commit_or
from services.user_store.unit_of_work import UnitOfWork
from shared.messaging.codec import DecodeError, decode_message
from shared.messaging.dispatch import CommandFailed, tenant_of
from shared.messaging.requester import RemoteError, RequestTimeout, unwrap
from shared.scim.schemas import EXTENSION_SCHEMA

log = logging.getLogger(__name__)

ResultT = TypeVar("ResultT", bound=Result)

#: Time kept for the reply to travel back to the gateway after the allocator answered.
REPLY_MARGIN_SECONDS = 0.3


@dataclass(frozen=True)
class Transition:
    """A user going from ``before`` to ``after`` (None: not stored), as read at ``version``."""

    user_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    version: int | None = None


Prepare = Callable[[UnitOfWork], Awaitable[Transition]]
Finish = Callable[[UnitOfWork, Transition, SeatAllocation | None], Awaitable[ResultT]]


class SeatsRefused(Exception):
    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


# --- what the allocator must do (pure) -------------------------------------------------------------


def is_active(resource: dict[str, Any]) -> bool:
    return resource.get("active") is not False


def products_of(resource: dict[str, Any]) -> list[str] | None:
    return resource.get(EXTENSION_SCHEMA, {}).get("products")


def seat_step(transition: Transition) -> SeatCommand | None:
    """The allocator's part of a transition; None when the user's seats stay as they are."""
    before, after, user_id = transition.before, transition.after, transition.user_id
    was_active = before is not None and is_active(before)
    if after is None:
        return None if before is None else ReleaseSeats(user_id=user_id, forget=True)
    if not is_active(after):
        return ReleaseSeats(user_id=user_id) if was_active else None
    if was_active and products_of(before) == products_of(after):  # type: ignore[arg-type]
        return None
    return AllocateSeats(user_id=user_id, user_name=after["userName"], products=products_of(after))


def platform_active(allocation: SeatAllocation | None, unchanged: bool) -> bool:
    return unchanged if allocation is None else allocation.platform_active


# --- asking the allocator --------------------------------------------------------------------------


def ask_timeout(meta: MessageMeta, cap: float) -> float:
    """Answer before the caller stops waiting: the command's deadline, less the way back."""
    if meta.deadline_ms is None:
        return cap
    left = meta.deadline_ms / 1000 - time.time() - REPLY_MARGIN_SECONDS
    return max(0.1, min(cap, left))


async def settle_seats(deps: Deps, meta: MessageMeta, step: SeatCommand, suffix: str = "seats") -> SeatAllocation:
    """The allocator's answer; a refusal raises SeatsRefused, silence CommandFailed(UNAVAILABLE)."""
    try:
        reply = await deps.seats(step, tenant_of(meta), f"{meta.message_id}:{suffix}",
                                 ask_timeout(meta, deps.seat_timeout))
        return unwrap(reply, SeatAllocation)
    except RequestTimeout:
        raise unavailable() from None
    except RemoteError as error:
        if error.retryable:
            raise unavailable() from None
        raise SeatsRefused(error.code, error.detail) from None


def unavailable() -> CommandFailed:
    return CommandFailed(ErrorCode.UNAVAILABLE, "The seat allocator did not answer in time; the change is "
                         "completed or undone shortly, retry to see which", retryable=True)


# --- the saga --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Begun:
    """Step 1 done: the intent is committed, the allocator is to be asked ``step``."""

    transition: Transition
    step: SeatCommand


async def with_seats(command: Command, meta: MessageMeta, deps: Deps, result_type: type[ResultT],
                     prepare: Prepare, finish: Finish[ResultT], conflict: CommandFailed | None = None) -> ResultT:
    """Run a user write once per message id, settling the user's seats in between when it moves them."""
    begun = await _begin(command, meta, deps, result_type, prepare, finish, conflict)
    if not isinstance(begun, Begun):
        return begun  # journaled earlier, or no seat moves
    try:
        allocation = await settle_seats(deps, meta, begun.step)
    except SeatsRefused as refused:
        await _drop_intent(deps, meta.message_id)
        raise CommandFailed(refused.code, refused.detail) from None
    async with deps.uow() as uow:
        if (earlier := await uow.journal.result_of(meta.message_id, result_type)) is not None:
            return earlier  # another store process finished this command meanwhile
        try:
            return await _finished(uow, meta, begun.transition, allocation, finish, conflict)
        except CommandFailed as failed:
            failure = failed
    await _abandon(deps, meta, begun.transition.user_id)  # the write failed after the seats moved: put them back
    raise failure


async def _begin(command: Command, meta: MessageMeta, deps: Deps, result_type: type[ResultT], prepare: Prepare,
                 finish: Finish[ResultT], conflict: CommandFailed | None) -> ResultT | Begun:
    """Step 1. A resumed command that no longer applies (say, its userName was taken meanwhile) undoes
    the seat step its earlier run may have made."""
    async with deps.uow() as uow:
        if (earlier := await uow.journal.result_of(meta.message_id, result_type)) is not None:
            return earlier
        try:
            transition = await prepare(uow)
        except CommandFailed as failed:
            failure, resumed = failed, await uow.intents.user_of(meta.message_id)
        else:
            if (step := seat_step(transition)) is None:
                return await _finished(uow, meta, transition, None, finish, conflict)
            created = transition.after["userName"] if transition.before is None and transition.after else None
            await uow.intents.hold(meta, command, transition.user_id, deps.clock(), created)
            await uow.commit()
            return Begun(transition, step)
    await _abandon(deps, meta, resumed)
    raise failure


async def _abandon(deps: Deps, meta: MessageMeta, user_id: str | None) -> None:
    """A command that will not be written after its seat step may have run: undo that step, drop the intent."""
    if user_id is not None:
        await repair(deps, meta, user_id)
        await _drop_intent(deps, meta.message_id)


async def _finished(uow: UnitOfWork, meta: MessageMeta, transition: Transition, allocation: SeatAllocation | None,
                    finish: Finish[ResultT], conflict: CommandFailed | None) -> ResultT:
    result = await finish(uow, transition, allocation)
    uow.journal.record(meta.message_id, result)
    await uow.intents.release(meta.message_id)
    await commit_or(uow, conflict)
    return result


async def _drop_intent(deps: Deps, message_id: str) -> None:
    async with deps.uow() as uow:
        await uow.intents.release(message_id)
        await uow.commit()


async def repair(deps: Deps, meta: MessageMeta, user_id: str) -> None:
    """Bring the allocator back in line with the user as stored (after a write that moved seats failed)."""
    async with deps.uow() as uow:
        row = await uow.users.get(tenant_of(meta), user_id)
        stored = None if row is None else row.resource
    step = seat_step(Transition(user_id, None, stored)) if stored is not None else None
    step = step or ReleaseSeats(user_id=user_id, forget=stored is None)
    try:
        allocation = await settle_seats(deps, meta, step, suffix="repair")
    except (SeatsRefused, CommandFailed) as error:
        log.error("seats of a user could not be put back", extra={"user_id": user_id, "error": str(error)})
        return
    async with deps.uow() as uow:
        if (row := await uow.users.get(tenant_of(meta), user_id)) is not None:
            row.platform_active = allocation.platform_active
            uow.users.add(row)
            await uow.commit()


# --- the sweeper -----------------------------------------------------------------------------------


async def resume_stale(deps: Deps, dispatch: Callable[[Any, MessageMeta], Awaitable[Reply]],
                       older_than: timedelta) -> int:
    """Run again every command whose seat step nobody finished (its caller gave up, nobody redelivered it)."""
    async with deps.uow() as uow:
        stale = [(MessageMeta(message_type=row.message_type, message_id=row.message_id, tenant_id=row.tenant_id),
                  row.body) for row in await uow.intents.stale(deps.clock() - older_than)]
    for meta, body in stale:
        try:
            command = decode_message(meta, orjson.dumps(body))
        except DecodeError as error:
            log.error("unreadable seat intent dropped", extra={"message_id": meta.message_id, "error": error.detail})
            await _drop_intent(deps, meta.message_id)
            continue
        reply = await dispatch(command, meta)
        log.info("seat intent resumed", extra={"message_id": meta.message_id, "ok": reply.ok})
    return len(stale)
