"""A write's seats kept in step with the seat allocator: a saga the user store runs per write.

A write that moves seats (a user's create, (re)activation, new products, deactivation or deletion;
a group's membership, which is a subscription set's when the set has its name) is a ``SeatedWrite``,
which ``run`` takes through three steps:

1. one transaction checks the write (``prepare``) and records its intent (the command and the seat
   commands it sends, by message id);
2. the allocator is asked, with message ids derived from the command's, so that asking again is
   answered from the allocator's journal and never takes a seat twice (seat_asks.py);
3. one transaction writes the new state with the allocator's answers (``finish``: ``platformActive``
   ...), journals the reply and deletes the intent.

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
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import orjson

from contracts import Command, MessageMeta, Reply, Result
from contracts.seats.v1 import AllocateSeats, ChangeSetMembership, ReleaseSeats
from services.user_store.deps import Deps
from services.user_store.seat_asks import (
    SeatsRefused,
    repair,
    settle_all,
    undo_membership,
)
from services.user_store.seat_state import SeatAnswer, SeatCommand
from services.user_store.tables import SeatIntentRow
from services.user_store.unit_of_work import UnitOfWork
from services.user_store.write_checks import unique_or
from shared.messaging.codec import DecodeError, decode_message
from shared.messaging.dispatch import CommandFailed, tenant_of

log = logging.getLogger(__name__)

CommandT = TypeVar("CommandT", bound=Command)
ChangeT = TypeVar("ChangeT", bound="SeatChange")
ResultT = TypeVar("ResultT", bound=Result)


class SeatChange(Protocol):
    """What a write asks of the seat allocator."""

    @property
    def resource_id(self) -> str: ...

    @property
    def created_name(self) -> str | None: ...  # a create's name: the IdP's retry of it adopts the same id

    def steps(self) -> list[SeatCommand]: ...


@dataclass(frozen=True)
class Begun(Generic[ChangeT]):
    """Step 1 done: the intent is committed, the allocator is to be asked ``steps``."""

    change: ChangeT
    steps: list[SeatCommand]


class SeatedWrite(ABC, Generic[CommandT, ChangeT, ResultT]):
    """One write that moves seats: what it changes (``prepare``, in step 1's transaction) and how it is
    stored with the allocator's answers (``finish``, in step 3's); ``run`` takes it through the saga."""

    result_type: ClassVar[type[Result]]  # the reply's: a journaled one is read back as it

    def __init__(self, command: CommandT, meta: MessageMeta, deps: Deps) -> None:
        self.command, self.meta, self.deps = command, meta, deps
        self.tenant_id = tenant_of(meta)

    @property
    def conflict(self) -> CommandFailed | None:
        """The answer when a unique name was taken meanwhile (seen as step 3 writes); None: not expected."""
        return None

    @abstractmethod
    async def prepare(self, uow: UnitOfWork) -> ChangeT:
        """Check the write against what is stored and say what it changes (raises CommandFailed if it cannot)."""

    async def steps(self, uow: UnitOfWork, change: ChangeT) -> list[SeatCommand]:
        """What the allocator is to be asked (none: the write is stored at once)."""
        return change.steps()

    @abstractmethod
    async def finish(self, uow: UnitOfWork, change: ChangeT, answers: list[SeatAnswer]) -> ResultT:
        """Store the change with the allocator's answers; returns the reply."""

    @classmethod
    async def handle(cls, command: CommandT, meta: MessageMeta, deps: Deps) -> ResultT:
        """The command's handler (a service's HANDLERS): this write, run."""
        return await cls(command, meta, deps).run()

    async def run(self) -> ResultT:
        """Run the write once per message id, settling its seats in between when it moves them."""
        begun = await self._record_intent()
        if not isinstance(begun, Begun):
            return begun  # journaled earlier, or no seat moves
        answers = await self._ask_allocator(begun)
        return await self._store(begun, answers)

    async def new_id(self, uow: UnitOfWork, name: str) -> str:
        """A create's id: the one an earlier run of the command chose, or that of the IdP's unfinished
        earlier try of the same create (so the seats it may have moved are the same resource's), else new."""
        return (await uow.intents.user_of(self.meta.message_id)
                or await uow.intents.pending_create(self.tenant_id, type(self.command).TYPE, name)
                or uuid.uuid4().hex)

    async def _record_intent(self) -> ResultT | Begun[ChangeT]:
        """Step 1. A resumed command that no longer applies (say, its userName was taken meanwhile) undoes
        the seat steps its earlier run may have made."""
        async with self.deps.uow() as uow:
            await uow.hold_tenant(self.tenant_id)
            if (earlier := await self._journaled(uow)) is not None:
                return earlier
            try:
                change = await self.prepare(uow)
            except CommandFailed as failed:
                failure, resumed = failed, await uow.intents.get(self.meta.message_id)
            else:
                steps = await self.steps(uow, change)
                if not steps:
                    return await self._finished(uow, change, [])
                superseded = await uow.intents.hold(self.meta, self.command, change.resource_id, self.deps.clock(),
                                                    steps, change.created_name)
                await uow.commit()
                for older in superseded:  # asked before ours on the same key, so undone before ours is asked
                    await undo_membership(self.deps, older_meta(older), stored_steps(older))
                return Begun(change, steps)
        if resumed is not None:
            await self._abandon(resumed.user_id, stored_steps(resumed))
        raise failure

    async def _ask_allocator(self, begun: Begun[ChangeT]) -> list[SeatAnswer]:
        """Step 2. A refusal drops the intent: nothing is stored, the IdP hears the allocator's reason."""
        try:
            return await settle_all(self.deps, self.meta, begun.steps)
        except SeatsRefused as refused:
            await drop_intent(self.deps, self.meta.message_id)
            raise CommandFailed(refused.code, refused.detail) from None

    async def _store(self, begun: Begun[ChangeT], answers: list[SeatAnswer]) -> ResultT:
        """Step 3. A write that can no longer be stored puts the seats its steps moved back."""
        async with self.deps.uow() as uow:
            await uow.hold_tenant(self.tenant_id)
            if (earlier := await self._journaled(uow)) is not None:
                return earlier  # another store process finished this command meanwhile
            try:
                return await self._finished(uow, begun.change, answers)
            except CommandFailed as failed:
                failure = failed
        await self._abandon(begun.change.resource_id, begun.steps)  # written nowhere: put the seats back
        raise failure

    async def _journaled(self, uow: UnitOfWork) -> ResultT | None:
        """The reply of an earlier run of the command, once it is stored. This unit reads in the transaction
        the process's units share (shared/sqlite/writer.py), so it sees another run's reply (the sweeper's, a
        redelivery's) before that is committed; answered at once, its caller could read no user yet, or the
        commit could still fail. Committing this unit, which changed nothing, waits for that commit."""
        earlier = await uow.journal.result_of(self.meta.message_id, self.result_type)
        if earlier is not None:
            await uow.commit()
        return earlier  # type: ignore[return-value]

    async def _finished(self, uow: UnitOfWork, change: ChangeT, answers: list[SeatAnswer]) -> ResultT:
        with unique_or(self.conflict):
            result = await self.finish(uow, change, answers)
            await uow.journal.record_result(self.meta.message_id, result)
            await uow.intents.release(self.meta.message_id)
            await uow.commit()
        return result

    async def _abandon(self, resource_id: str, steps: Sequence[SeatCommand]) -> None:
        """A command that will not be written after its seat steps may have run: undo them, drop the intent."""
        if any(isinstance(step, ChangeSetMembership) for step in steps):
            await undo_membership(self.deps, self.meta, steps)
        else:
            await repair(self.deps, self.meta, resource_id)
        await drop_intent(self.deps, self.meta.message_id)


async def drop_intent(deps: Deps, message_id: str) -> None:
    async with deps.uow() as uow:
        await uow.intents.release(message_id)
        await uow.commit()


def stored_steps(intent: SeatIntentRow) -> list[SeatCommand]:
    return [SEAT_COMMANDS[step["type"]].model_validate(step["body"]) for step in intent.steps or ()]


def older_meta(intent: SeatIntentRow) -> MessageMeta:
    return MessageMeta(message_type=intent.message_type, message_id=intent.message_id, tenant_id=intent.tenant_id)


SEAT_COMMANDS: dict[str, type[SeatCommand]] = {kind.TYPE: kind for kind in (AllocateSeats, ReleaseSeats,
                                                                           ChangeSetMembership)}


async def resume_stale(deps: Deps, dispatch: Callable[[Any, MessageMeta], Awaitable[Reply]],
                       older_than: timedelta) -> int:
    """The sweeper: run again every command whose seat step nobody finished (its caller gave up, nobody
    redelivered it)."""
    async with deps.uow(read_only=True) as uow:
        stale = [(older_meta(row), row.body) for row in await uow.intents.stale(deps.clock() - older_than)]
    for meta, body in stale:
        try:
            command = decode_message(meta, orjson.dumps(body))
        except DecodeError as error:
            log.error("unreadable seat intent dropped", extra={"message_id": meta.message_id, "error": error.detail})
            await drop_intent(deps, meta.message_id)
            continue
        reply = await dispatch(command, meta)
        log.info("seat intent resumed", extra={"message_id": meta.message_id, "ok": reply.ok})
    return len(stale)
