"""Every seat command runs once per message id: in one transaction with its journal entry and its
events (``journaled``), a redelivery answered from the journal. Also the handlers' dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from contracts import ErrorCode, MessageMeta, Reply, Result
from services.seat_allocator.domain import RuleBroken, SeatRefusal
from services.seat_allocator.unit_of_work import UnitOfWork
from shared.messaging.dispatch import CommandFailed, tenant_of
from shared.messaging.worker import release_key
from shared.store import StoreDeps

ResultT = TypeVar("ResultT", bound=Result)


Deps = StoreDeps[UnitOfWork]


class KeptFailure(CommandFailed):
    """A refusal whose trace (the user's failure record) is committed with it and replayed on redelivery."""


async def journaled(meta: MessageMeta, deps: Deps, result_type: type[ResultT],
                    work: Callable[[UnitOfWork], Awaitable[ResultT]]) -> ResultT:
    """Run a write once per message id, in one BEGIN IMMEDIATE transaction with its journal entry.

    A broken rule or a refusal that keeps nothing rolls back and is not journaled: the same input
    is refused the same way again. A ``KeptFailure`` commits what the work wrote, and its reply. The
    events of what the work changed (``uow.changes``) are committed with it, numbered after the message
    id (shared/events/outbox.py); a redelivery returns the journaled reply and emits nothing.
    Once the unit is in the writer's open transaction the tenant's next command may start (its unit
    sees this one's changes and joins the same COMMIT; if that fails, both fail and are answered so): a
    redelivery finding the journaled reply there answers only after that COMMIT.
    """
    async with deps.uow() as uow:
        await take_turn(uow, tenant_of(meta))
        if (earlier := await uow.journal.reply_to(meta.message_id)) is not None:
            # Perhaps the run before's, in the open transaction this unit joined: answered once it is committed.
            await uow.commit(on_released=release_key)
            return replayed(earlier, result_type)
        try:
            reply = Reply.success(await work(uow))
        except KeptFailure as failed:
            reply = Reply.failure(failed.code, failed.detail)
        except (RuleBroken, SeatRefusal) as broken:
            raise CommandFailed(ErrorCode.INVALID_VALUE, broken.detail) from None
        await uow.events.emit_all(meta, uow.changes, deps.clock())
        await uow.journal.record_reply(meta.message_id, reply)
        await uow.commit(on_released=release_key)  # the tenant's next seat command may join this COMMIT
        return replayed(reply, result_type)


async def take_turn(uow: UnitOfWork, tenant_id: str) -> None:
    """The tenant's seat commands run one at a time, across every copy: a unit counts free seats and then
    takes them, so two side by side (PostgreSQL's transactions, two copies during a rebalance) could both
    take the last seat; a redelivery served by both at once would both miss the journal. One lock per unit,
    so no order to keep; before the journal is read, so the second of two deliveries finds the first's
    answer. On SQLite one unit writes at a time anyway (PlainSql.lock is nothing there)."""
    await uow.run(lambda sql: sql.lock(f"seat_allocator:{tenant_id}"))


def replayed(reply: Reply, result_type: type[ResultT]) -> ResultT:
    if reply.error is not None:
        raise CommandFailed(reply.error.code, reply.error.detail)
    return result_type.model_validate(reply.result)
