"""Every provisioning write's outcome, reported to the sync-status reporter (contracts/sync_status).

Reported after the write's reply exists, for every handling of the command: a redelivery (the store
died before its offset was committed) reports again, under the same derived report id, which the
reporter counts once; a run that ends otherwise than the first (503, then finished) reports anew.
Reporting never fails the write: a report that cannot be sent is logged.
Outcomes travel in batches (``OutcomeBatches``): the reporter pays per message far more than per outcome.
A write that found the user already as asked (an IdP's re-sync: the same PUT, a PATCH of the stored
values) says so (``unchanged``), and the reporter counts it instead of adding it to the history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

from contracts import ErrorCode, Message, MessageMeta, Reply, Result
from contracts.seats.v1 import SeatAllocation, SubscriptionSetReport
from contracts.sync_status.v1 import (
    Action,
    ProvisioningOutcome,
    ProvisioningOutcomes,
    ReportedOutcome,
    Status,
)
from contracts.users.v1 import CreateUser, DeleteUser, PatchUser, ReplaceUser
from shared.messaging.dispatch import Dispatcher
from shared.messaging.worker import send_before_commit
from shared.scim.resource import is_active
from shared.scim.schemas import EXTENSION_SCHEMA
from shared.scim.vendor import effective_role, primary_email

log = logging.getLogger(__name__)

DepsT = TypeVar("DepsT")

#: Send one outcome: (outcome, tenant id, its report id: derived from the command's, so repeats are one).
Report = Callable[[ProvisioningOutcome, str, str], Awaitable[None]]


async def unreported(outcome: ProvisioningOutcome, tenant_id: str, message_id: str) -> None:
    """No sync-status reporter to tell (handler tests)."""

ACTIONS: dict[type, Action] = {CreateUser: "create", ReplaceUser: "replace", PatchUser: "patch", DeleteUser: "delete"}


def status_of(action: Action, reply: Reply) -> Status:
    if reply.ok:
        return "deleted" if action == "delete" else "synced"
    assert reply.error is not None
    return "pending" if reply.error.retryable else "failed"


def asked_of(command: Message) -> list[str]:
    """What the IdP sent, without values (they may be personal data): attributes, or PATCH "op path"."""
    if isinstance(command, PatchUser) and command.by_admin:  # "admin: role": the attribute the admin set
        return [f"admin: {op.get('path', '').rpartition(':')[2]}" for op in command.patch.get("Operations", [])]
    if isinstance(command, PatchUser):
        return [f"{op.get('op', '')} {op.get('path', '')}".strip() for op in command.patch.get("Operations", [])]
    resource = getattr(command, "resource", {})
    return sorted(key for key in resource if key != "schemas")


class WriteNote:
    """What the handling of one command tells its outcome beyond the reply: that it changed nothing."""

    __slots__ = ("unchanged",)

    def __init__(self) -> None:
        self.unchanged = False


#: The note of the command being handled (set by ReportingDispatcher; a mutable object, so that a task the
#: handler starts writes to the same one).
_write_note: ContextVar[WriteNote | None] = ContextVar("write_note", default=None)


def note_unchanged() -> None:
    """The user write being handled found the user already as asked and stored nothing (store_user)."""
    if (note := _write_note.get()) is not None:
        note.unchanged = True


def outcome_of(command: Message, reply: Reply, at: datetime, unchanged: bool = False) -> ProvisioningOutcome | None:
    """The outcome of a user write; None for anything else, and for a write to a user that does not exist.
    ``unchanged``: the write found the user already as asked (only a success says so)."""
    if (action := ACTIONS.get(type(command))) is None:
        return None
    if reply.error is not None and reply.error.code == ErrorCode.NOT_FOUND:
        return None
    stored: dict[str, Any] | None = reply.result.get("resource") if reply.ok and reply.result else None
    resource = stored or getattr(command, "resource", None)
    extension = (resource or {}).get(EXTENSION_SCHEMA, {})
    user_id = getattr(command, "id", None) or (reply.result or {}).get("id")
    return ProvisioningOutcome(
        action=action, status=status_of(action, reply), at=at, user_id=user_id,
        user_name=resource.get("userName") if resource else None,
        detail=None if reply.error is None else reply.error.detail, asked=asked_of(command),
        scim_active=None if resource is None else is_active(resource) and action != "delete",
        platform_active=extension.get("platformActive", False if resource is not None else None),
        products=extension.get("products") or [], subscription_set=extension.get("subscriptionSet"),
        email=primary_email(resource) if resource else None, role=effective_role(resource) if resource else None,
        unchanged=unchanged and reply.ok)


def report_id(meta: MessageMeta, outcome: ProvisioningOutcome) -> str:
    """A redelivery's same outcome is one report; a command answered "pending" (503) and finished later
    (by the sweeper, or a redelivery) reports twice, the final status replacing the pending one."""
    return f"{meta.message_id}:outcome:{outcome.status}"


def members_of(answers: Sequence[Result]) -> list[str]:
    """The ids of the members whose seats a group write's subscription sets moved (or refused to)."""
    return [member.user_id for answer in answers if isinstance(answer, SubscriptionSetReport)
            for member in answer.outcomes]


def member_outcomes(answers: Sequence[Result], at: datetime,
                    own_roles: Mapping[str, str | None]) -> list[ProvisioningOutcome]:
    """Each member whose seats a subscription set moved (or refused to): a group write's part per user."""
    return [seat_outcome(member, f"members of group {answer.subscription_set.name}", at,
                         own_roles.get(member.user_id))
            for answer in answers if isinstance(answer, SubscriptionSetReport) for member in answer.outcomes]


def seat_outcome(member: SeatAllocation, asked: str, at: datetime, own_role: str | None) -> ProvisioningOutcome:
    """A user whose seats the allocator moved (or refused to) for a set: their membership's outcome, with the
    role it leaves them (the set's Admin, else ``own_role``: their vendor extension's)."""
    return ProvisioningOutcome(action="membership", status="failed" if member.failure else "synced", at=at,
                               user_id=member.user_id, user_name=member.user_name,
                               detail=member.failure.detail if member.failure else None, asked=[asked],
                               platform_active=member.platform_active, products=member.products,
                               subscription_set=member.set_name, role=member.role or own_role or "User")


#: Outcomes one message carries at most, and how long the first of a batch waits for company. A report
#: is off the reply's path: only its command's offset commit waits for it (worker.send_before_commit).
BATCH_MAX = 200
BATCH_WAIT_SECONDS = 0.02


class OutcomeBatches:
    """A Report that sends outcomes in batches (ProvisioningOutcomes) through ``send``: a batch goes when
    it is full or BATCH_WAIT_SECONDS after its first outcome, and each report returns once its batch
    is sent (or raises what the send raised)."""

    def __init__(self, send: Callable[[ProvisioningOutcomes], Awaitable[None]]) -> None:
        self._send = send
        self._batch: list[ReportedOutcome] = []
        self._sent: asyncio.Future[None] | None = None  # the open batch's send
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def __call__(self, outcome: ProvisioningOutcome, tenant_id: str, report_id: str) -> None:
        loop = asyncio.get_running_loop()
        if self._sent is None:
            self._sent = loop.create_future()
            self._timer = loop.call_later(BATCH_WAIT_SECONDS, self._flush)
        sent = self._sent
        self._batch.append(ReportedOutcome(report_id=report_id, tenant_id=tenant_id, outcome=outcome))
        if len(self._batch) >= BATCH_MAX:
            self._flush()
        await asyncio.shield(sent)  # a cancelled caller must not cancel the others' batch

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        batch, sent = self._batch, self._sent
        self._batch, self._sent, self._timer = [], None, None
        if sent is None:
            return
        task = asyncio.ensure_future(self._send(ProvisioningOutcomes(reports=batch)))
        self._sending.add(task)
        task.add_done_callback(lambda done: self._settle(done, sent))

    def _settle(self, task: asyncio.Task[None], sent: asyncio.Future[None]) -> None:
        self._sending.discard(task)
        if task.cancelled():
            sent.cancel()
        elif (error := task.exception()) is not None:
            sent.set_exception(error)
        else:
            sent.set_result(None)


async def send_quietly(report: Report, outcome: ProvisioningOutcome, tenant_id: str, message_id: str) -> None:
    try:
        await report(outcome, tenant_id, message_id)
    except Exception:
        log.exception("provisioning outcome not reported", extra={"message_id": message_id})


class ReportingDispatcher(Dispatcher[DepsT]):
    """A dispatcher that reports each user write's outcome (``deps.report``) once it has its reply; the
    report travels beside the reply, and the command's offset is committed once both are acknowledged."""

    async def __call__(self, message: Message, meta: MessageMeta) -> Reply:
        note = WriteNote()
        token = _write_note.set(note)
        try:
            reply = await super().__call__(message, meta)
        finally:
            _write_note.reset(token)
        at = self.deps.clock()  # type: ignore[attr-defined]
        if (outcome := outcome_of(message, reply, at, note.unchanged)) is not None:
            await send_before_commit(send_quietly(self.deps.report, outcome,  # type: ignore[attr-defined]
                                               meta.tenant_id or "", report_id(meta, outcome)))
        return reply
