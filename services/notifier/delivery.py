"""Email delivery from the persistent outbox: claim due rows, send, mark sent or retry later.

Nothing is lost while SMTP is down: a failed row stays in the outbox with a later next_attempt_at
(exponential backoff) and goes out when SMTP answers again. A row is claimed for a while, in one write
transaction, before it is sent, so two notifier replicas never send the same row: on SQLite one writer
claims at a time (BEGIN IMMEDIATE); on PostgreSQL, where copies claim at the same time, the due rows are
selected FOR UPDATE SKIP LOCKED, so a row another copy is claiming is passed over, and one it has claimed
no longer looks due once its claim is committed.
A crash between a successful send and "sent" being recorded can repeat that one email after the
claim expires; its Message-ID stays the same, so mail systems can tell it is a duplicate. Each round
counts what it sent and what failed, and how many are left (shared/metrics/emails.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
from sqlalchemy import func, or_, update
from sqlmodel import col, select

from services.notifier.settings import NotifierSettings
from services.notifier.tables import NotificationRow, OutboxRow
from shared.metrics.emails import EMAILS_FAILED, EMAILS_SENT, EMAILS_WAITING
from shared.store.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

CLAIM = timedelta(minutes=2)  # longer than one send may take; renewed before each send of a batch
BATCH = 50


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpSender:
    """aiosmtplib: an asyncio SMTP client with STARTTLS/TLS and auth, instead of smtplib in a thread."""

    settings: NotifierSettings

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        password = s.smtp_password.get_secret_value() if s.smtp_password else None
        await aiosmtplib.send(message, hostname=s.smtp_host, port=s.smtp_port, use_tls=s.smtp_tls == "tls",
                              start_tls=s.smtp_tls == "starttls", username=s.smtp_username if s.logs_in else None,
                              password=password if s.logs_in else None, timeout=s.smtp_timeout_seconds)


@dataclass(frozen=True)
class Outbox:
    uow: Callable[..., UnitOfWork]  # the notifier's store (shared/store/backend.py)
    sender: MailSender
    settings: NotifierSettings
    clock: Callable[[], datetime]

    async def deliver_due(self) -> int:
        """Send every due email once; returns how many went out."""
        sent = 0
        rows, claimed_until = await self._claim()
        for row, notice in rows:
            if await self._renew(row.id, claimed_until):
                sent += await self._deliver(row, notice)
        EMAILS_WAITING.set(await self._unsent())
        return sent

    async def _unsent(self) -> int:
        async with self.uow(read_only=True) as uow:
            unsent = select(func.count()).select_from(OutboxRow).where(col(OutboxRow.sent_at).is_(None))
            return (await uow.session.exec(unsent)).one()

    async def _renew(self, outbox_id: str, claimed_until: datetime) -> bool:
        """Whether the row is still this round's, claimed again for one send. The batch's sends one after
        another can outlast CLAIM (SMTP timing out): another replica may have claimed the rest meanwhile."""
        async with self.uow() as uow:
            renewed = await uow.session.exec(update(OutboxRow).where(
                col(OutboxRow.id) == outbox_id, col(OutboxRow.claimed_until) == claimed_until,
                col(OutboxRow.sent_at).is_(None)).values(claimed_until=self.clock() + CLAIM))
            await uow.commit()
        return renewed.rowcount == 1

    async def _claim(self) -> tuple[list[tuple[OutboxRow, NotificationRow]], datetime]:
        now = self.clock()
        due = (select(OutboxRow, NotificationRow).join(NotificationRow, col(NotificationRow.id) == col(OutboxRow.notification_id))
               .where(col(OutboxRow.sent_at).is_(None), col(OutboxRow.next_attempt_at) <= now,
                      or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) < now))
               .order_by(col(OutboxRow.next_attempt_at)).limit(BATCH)
               .with_for_update(of=OutboxRow, skip_locked=True))  # PostgreSQL's; SQLite has one writer anyway
        async with self.uow() as uow:
            rows = list((await uow.session.exec(due)).all())
            ids = [row.id for row, _ in rows]
            await uow.session.exec(update(OutboxRow).where(col(OutboxRow.id).in_(ids))
                                   .values(claimed_until=now + CLAIM))
            await uow.commit()
        return rows, now + CLAIM

    async def _deliver(self, row: OutboxRow, notice: NotificationRow) -> int:
        try:
            await self.sender.send(self._message(row, notice))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            EMAILS_FAILED.inc()
            await self._failed(row, error)
            return 0
        EMAILS_SENT.inc()
        await self._record(row.id, sent_at=self.clock(), claimed_until=None)
        return 1

    def _message(self, row: OutboxRow, notice: NotificationRow) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.settings.smtp_sender, row.email, notice.subject
        message["Message-ID"] = f"<{row.id}@scimflow>"  # stable across retries
        message.set_content(notice.body)
        return message

    async def _failed(self, row: OutboxRow, error: Exception) -> None:
        attempts = row.attempts + 1
        delay = min(self.settings.retry_base_seconds * 2 ** (attempts - 1), self.settings.retry_max_seconds)
        log.warning("email not delivered, will retry", extra={"outbox_id": row.id, "attempts": attempts,
                                                             "retry_in_s": delay, "error": str(error)[:200]})
        await self._record(row.id, attempts=attempts, next_attempt_at=self.clock() + timedelta(seconds=delay),
                           claimed_until=None, last_error=str(error)[:500])

    async def _record(self, outbox_id: str, **values: object) -> None:
        async with self.uow() as uow:
            await uow.session.exec(update(OutboxRow).where(col(OutboxRow.id) == outbox_id).values(**values))
            await uow.commit()


async def run_delivery(outbox: Outbox, stop: asyncio.Event, wake: asyncio.Event) -> None:
    """Deliver until stopped: every poll interval, or at once when a new notice wakes the loop."""
    while not stop.is_set():
        wake.clear()  # before the round: a notice filed while it runs wakes the next one (cleared after, it was lost)
        try:
            await outbox.deliver_due()
        except Exception:
            log.exception("delivery round failed")  # the outbox keeps every email; the next round retries
        waits = [asyncio.ensure_future(event.wait()) for event in (stop, wake)]
        await asyncio.wait(waits, timeout=outbox.settings.delivery_poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
