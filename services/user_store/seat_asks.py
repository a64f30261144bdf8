"""Asking the seat allocator for a write's seat steps, and taking them back when the write is not stored.

Every ask carries a message id derived from the command's, so asking again (a redelivery, the sweeper)
is answered from the allocator's journal and never takes a seat twice. A refusal (no free seat, product
not subscribed ...) raises ``SeatsRefused`` with the allocator's reason; silence is UNAVAILABLE, which
the IdP retries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from contracts import ErrorCode, MessageMeta
from contracts.seats.v1 import (
    ChangeSetMembership,
    SeatAllocation,
    SubscriptionSetReport,
)
from services.user_store.deps import Deps
from services.user_store.seat_state import (
    SeatAnswer,
    SeatCommand,
    SeatState,
    restated_step,
)
from shared.messaging.dispatch import CommandFailed, tenant_of
from shared.messaging.requester import RemoteError, RequestTimeout, unwrap

log = logging.getLogger(__name__)

#: Time kept for the reply to travel back to the gateway after the allocator answered.
REPLY_MARGIN_SECONDS = 0.3


class SeatsRefused(Exception):
    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def ask_timeout(meta: MessageMeta, cap: float) -> float:
    """Answer before the caller stops waiting: the command's deadline, less the way back."""
    if meta.deadline_ms is None:
        return cap
    left = meta.deadline_ms / 1000 - time.time() - REPLY_MARGIN_SECONDS
    return max(0.1, min(cap, left))


async def settle_seats(deps: Deps, meta: MessageMeta, step: SeatCommand, suffix: str = "seats") -> SeatAnswer:
    """The allocator's answer; a refusal raises SeatsRefused, silence CommandFailed(UNAVAILABLE)."""
    try:
        reply = await deps.seats(step, tenant_of(meta), f"{meta.message_id}:{suffix}",
                                 ask_timeout(meta, deps.seat_timeout))
        if isinstance(step, ChangeSetMembership):
            return unwrap(reply, SubscriptionSetReport)
        return unwrap(reply, SeatAllocation)
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


def reversed_steps(steps: Sequence[SeatCommand]) -> list[ChangeSetMembership]:
    """Membership changes that undo ``steps`` (users' own seat commands are repaired from the stored user)."""
    return [ChangeSetMembership(set_name=step.set_name, added=step.removed, removed=step.added)
            for step in reversed(steps) if isinstance(step, ChangeSetMembership)]
