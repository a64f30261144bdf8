"""A write's seats kept in step with the seat allocator: a saga the user store runs per write.

A write that moves seats (a user's create, (re)activation, new products, deactivation or deletion;
a group's membership, which is a subscription set's when the set has its name) goes in three steps:

1. one transaction checks the write and records its intent (the command and the seat commands it
   sends, by message id);
2. the allocator is asked, with message ids derived from the command's, so that asking again is
   answered from the allocator's journal and never takes a seat twice;
3. one transaction writes the new state with the allocator's answers (``platformActive`` ...),
   journals the reply and deletes the intent.

A crash, a timeout or a lost reply between the steps leaves the intent; the command's redelivery or
the sweeper (``resume_stale``) runs the command again, which finds its intent (so a create keeps
its new id) and repeats steps 2 and 3. A user is written only after the seats are settled: a user
the allocator refused (no free seat, product not subscribed ...) is never stored, and the IdP gets
the allocator's reason as the SCIM error's ``detail``. A group's members are stored as the IdP says;
a member the set refused keeps the failure on the allocator's side, for the admin to read.

A user's seat command states what the user is to hold, so a newer one simply supersedes an older,
unfinished one. A group's states a difference (who joins, who leaves): an unfinished older one is
undone before a newer one is asked, so the allocator never keeps what the group no longer says.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

import orjson

from contracts import Command, ErrorCode, MessageMeta, Reply, Result
from contracts.seats.v1 import (
    AllocateSeats,
    ChangeSetMembership,
    ReleaseSeats,
    SeatAllocation,
    SubscriptionSetReport,
)
from services.user_store.common import Deps, unique_or
from services.user_store.seat_state import SeatCommand, SeatState
from services.user_store.tables import SeatIntentRow
from services.user_store.unit_of_work import UnitOfWork
from shared.messaging.codec import DecodeError, decode_message
from shared.messaging.dispatch import CommandFailed, tenant_of
from shared.messaging.requester import RemoteError, RequestTimeout, unwrap
from shared.scim.resource import is_active
from shared.scim.schemas import EXTENSION_SCHEMA

log = logging.getLogger(__name__)

ResultT = TypeVar("ResultT", bound=Result)
ChangeT = TypeVar("ChangeT", bound="SeatChange")

SeatAnswer = SeatAllocation | SubscriptionSetReport

#: Time kept for the reply to travel back to the gateway after the allocator answered.
REPLY_MARGIN_SECONDS = 0.3


class SeatChange(Protocol):
    """What a write asks of the seat allocator."""

    @property
    def resource_id(self) -> str: ...

    @property
    def created_name(self) -> str | None: ...  # a create's name: the IdP's retry of it adopts the same id

    def steps(self) -> list[SeatCommand]: ...


@dataclass(frozen=True)
class Transition:
    """A user going from ``before`` to ``after`` (None: not stored), as read at ``version``."""

    user_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    version: int | None = None

    @property
    def resource_id(self) -> str:
        return self.user_id

    @property
    def created_name(self) -> str | None:
        return self.after["userName"] if self.before is None and self.after is not None else None

    def steps(self) -> list[SeatCommand]:
        step = seat_step(self)
        return [] if step is None else [step]


Prepare = Callable[[UnitOfWork], Awaitable[ChangeT]]
Finish = Callable[[UnitOfWork, ChangeT, list[SeatAnswer]], Awaitable[ResultT]]


class SeatsRefused(Exception):
    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


# --- what the allocator must do (pure) -------------------------------------------------------------


def products_of(resource: dict[str, Any]) -> list[str] | None:
    return resource.get(EXTENSION_SCHEMA, {}).get("products")


def seat_step(transition: Transition) -> AllocateSeats | ReleaseSeats | None:
    """The allocator's part of a user's transition; None when the user's seats stay as they are."""
    before, after, user_id = transition.before, transition.after, transition.user_id
    was_active = before is not None and is_active(before)
    if after is None:
        return None if before is None else ReleaseSeats(user_id=user_id, forget=True)
    if not is_active(after):
        return ReleaseSeats(user_id=user_id) if was_active else None
    if was_active and products_of(before) == products_of(after):  # type: ignore[arg-type]
        return None
    return AllocateSeats(user_id=user_id, user_name=after["userName"], products=products_of(after))


def restated_step(user_id: str, stored: dict[str, Any] | None) -> AllocateSeats | ReleaseSeats:
    """The seats a user is to hold as ``stored`` (None: not stored), whatever the allocator holds now."""
    step = seat_step(Transition(user_id, None, stored)) if stored is not None else None
    return step or ReleaseSeats(user_id=user_id, forget=stored is None)


def seat_state(answers: Sequence[SeatAnswer], unchanged: SeatState) -> SeatState:
    """A user's seat state after their write: the allocator's answer, or as it was when not asked."""
    allocations = [answer for answer in answers if isinstance(answer, SeatAllocation)]
    return SeatState.of(allocations[-1]) if allocations else unchanged


def reversed_steps(steps: Sequence[SeatCommand]) -> list[ChangeSetMembership]:
    """Membership changes that undo ``steps`` (users' own seat commands are repaired from the stored user)."""
    return [ChangeSetMembership(set_name=step.set_name, added=step.removed, removed=step.added)
            for step in reversed(steps) if isinstance(step, ChangeSetMembership)]


# --- asking the allocator --------------------------------------------------------------------------


def ask_timeout(meta: MessageMeta, cap: float) -> float:
    """Answer before the caller stops waiting: the command's deadline, less the way back."""
    if meta.deadline_ms is None:
        return cap
    left = meta.deadline_ms / 1000 - time.time() - REPLY_MARGIN_SECONDS
    return max(0.1, min(cap, left))


async def settle_seats(deps: Deps, meta: MessageMeta, step: SeatCommand, suffix: str = "seats") -> SeatAnswer:
    """The allocator's answer; a refusal raises SeatsRefused, silence CommandFailed(UNAVAILABLE)."""
    answer_type = SubscriptionSetReport if isinstance(step, ChangeSetMembership) else SeatAllocation
    try:
        reply = await deps.seats(step, tenant_of(meta), f"{meta.message_id}:{suffix}",
                                 ask_timeout(meta, deps.seat_timeout))
        return unwrap(reply, answer_type)
    except RequestTimeout:
        raise unavailable() from None
    except RemoteError as error:
        if error.retryable:
            raise unavailable() from None
        raise SeatsRefused(error.code, error.detail) from None


async def settle_membership(deps: Deps, meta: MessageMeta, step: SeatCommand, suffix: str) -> SeatAnswer | None:
    """Like settle_seats; a membership change of a group no set is named after is answered None."""
    try:
        return await settle_seats(deps, meta, step, suffix)
    except SeatsRefused as refused:
        if isinstance(step, ChangeSetMembership) and refused.code == ErrorCode.NOT_FOUND:
            return None  # an ordinary group
        raise


async def settle_all(deps: Deps, meta: MessageMeta, steps: Sequence[SeatCommand]) -> list[SeatAnswer]:
    """Every step's answer, in order; a refused step has the steps before it undone."""
    answers: list[SeatAnswer] = []
    for index, step in enumerate(steps):
        try:
            answer = await settle_membership(deps, meta, step, "seats" if index == 0 else f"seats{index + 1}")
        except SeatsRefused:
            await undo_membership(deps, meta, steps[:index])
            raise
        if answer is not None:
            answers.append(answer)
    return answers


def unavailable() -> CommandFailed:
    return CommandFailed(ErrorCode.UNAVAILABLE, "The seat allocator did not answer in time; the change is "
                         "completed or undone shortly, retry to see which", retryable=True)


# --- the saga --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Begun:
    """Step 1 done: the intent is committed, the allocator is to be asked ``steps``."""

    change: Any
    steps: list[SeatCommand]


async def with_seats(command: Command, meta: MessageMeta, deps: Deps, result_type: type[ResultT],
                     prepare: Prepare, finish: Finish[ResultT], conflict: CommandFailed | None = None) -> ResultT:
    """Run a write once per message id, settling its seats in between when it moves them."""
    begun = await _begin(command, meta, deps, result_type, prepare, finish, conflict)
    if not isinstance(begun, Begun):
        return begun  # journaled earlier, or no seat moves
    try:
        answers = await settle_all(deps, meta, begun.steps)
    except SeatsRefused as refused:
        await _drop_intent(deps, meta.message_id)
        raise CommandFailed(refused.code, refused.detail) from None
    async with deps.uow() as uow:
        if (earlier := await uow.journal.result_of(meta.message_id, result_type)) is not None:
            return earlier  # another store process finished this command meanwhile
        try:
            return await _finished(uow, meta, begun.change, answers, finish, conflict)
        except CommandFailed as failed:
            failure = failed
    await _abandon(deps, meta, begun.change.resource_id, begun.steps)  # written nowhere: put the seats back
    raise failure


async def _begin(command: Command, meta: MessageMeta, deps: Deps, result_type: type[ResultT], prepare: Prepare,
                 finish: Finish[ResultT], conflict: CommandFailed | None) -> ResultT | Begun:
    """Step 1. A resumed command that no longer applies (say, its userName was taken meanwhile) undoes
    the seat steps its earlier run may have made."""
    async with deps.uow() as uow:
        if (earlier := await uow.journal.result_of(meta.message_id, result_type)) is not None:
            return earlier
        try:
            change = await prepare(uow)
        except CommandFailed as failed:
            failure, resumed = failed, await uow.intents.get(meta.message_id)
        else:
            steps = change.steps()
            if not steps and isinstance(change, Transition) and await uow.intents.others_pending(meta, change.user_id):
                # An older write of this user is unfinished (its caller got a 503, the sweeper would finish it
                # on top of this one): it is superseded, and the allocator hears what this write leaves.
                steps = [restated_step(change.user_id, change.after)]
            if not steps:
                return await _finished(uow, meta, change, [], finish, conflict)
            superseded = await uow.intents.hold(meta, command, change.resource_id, deps.clock(), steps,
                                                change.created_name)
            await uow.commit()
            for older in superseded:  # asked before ours on the same key, so undone before ours is asked
                await undo_membership(deps, older_meta(older), stored_steps(older))
            return Begun(change, steps)
    if resumed is not None:
        await _abandon(deps, meta, resumed.user_id, stored_steps(resumed))
    raise failure


async def _abandon(deps: Deps, meta: MessageMeta, resource_id: str, steps: Sequence[SeatCommand]) -> None:
    """A command that will not be written after its seat steps may have run: undo them, drop the intent."""
    if any(isinstance(step, ChangeSetMembership) for step in steps):
        await undo_membership(deps, meta, steps)
    else:
        await repair(deps, meta, resource_id)
    await _drop_intent(deps, meta.message_id)


async def _finished(uow: UnitOfWork, meta: MessageMeta, change: Any, answers: list[SeatAnswer],
                    finish: Finish[ResultT], conflict: CommandFailed | None) -> ResultT:
    with unique_or(conflict):
        result = await finish(uow, change, answers)
        await uow.journal.record_result(meta.message_id, result)
        await uow.intents.release(meta.message_id)
        await uow.commit()
    return result


async def _drop_intent(deps: Deps, message_id: str) -> None:
    async with deps.uow() as uow:
        await uow.intents.release(message_id)
        await uow.commit()


async def repair(deps: Deps, meta: MessageMeta, user_id: str) -> None:
    """Bring the allocator back in line with the user as stored (after a write that moved seats failed)."""
    async with deps.uow(read_only=True) as uow:
        row = await uow.users.get(tenant_of(meta), user_id)
        stored = None if row is None else row.resource
    try:
        allocation = await settle_seats(deps, meta, restated_step(user_id, stored), suffix="repair")
    except (SeatsRefused, CommandFailed) as error:
        log.error("seats of a user could not be put back", extra={"user_id": user_id, "error": str(error)})
        return
    assert isinstance(allocation, SeatAllocation)
    async with deps.uow() as uow:
        await uow.users.record_seat_states(tenant_of(meta), {user_id: SeatState.of(allocation)}, deps.clock())
        await uow.commit()


async def undo_membership(deps: Deps, meta: MessageMeta, steps: Sequence[SeatCommand]) -> None:
    """Take back membership changes that will not be written (asked again, the undo is answered from
    the allocator's journal). Members' stored seat states are left: their next write refreshes them."""
    for index, step in enumerate(reversed_steps(steps)):
        try:
            await settle_membership(deps, meta, step, suffix=f"undo{index + 1}")
        except (SeatsRefused, CommandFailed) as error:
            log.error("a subscription set's membership could not be put back",
                      extra={"set": step.set_name, "error": str(error)})


def stored_steps(intent: SeatIntentRow) -> list[SeatCommand]:
    return [SEAT_COMMANDS[step["type"]].model_validate(step["body"]) for step in intent.steps or ()]


def older_meta(intent: SeatIntentRow) -> MessageMeta:
    return MessageMeta(message_type=intent.message_type, message_id=intent.message_id, tenant_id=intent.tenant_id)


SEAT_COMMANDS: dict[str, type[SeatCommand]] = {kind.TYPE: kind for kind in (AllocateSeats, ReleaseSeats,
                                                                           ChangeSetMembership)}


# --- the sweeper -----------------------------------------------------------------------------------


async def resume_stale(deps: Deps, dispatch: Callable[[Any, MessageMeta], Awaitable[Reply]],
                       older_than: timedelta) -> int:
    """Run again every command whose seat step nobody finished (its caller gave up, nobody redelivered it)."""
    async with deps.uow(read_only=True) as uow:
        stale = [(older_meta(row), row.body) for row in await uow.intents.stale(deps.clock() - older_than)]
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
