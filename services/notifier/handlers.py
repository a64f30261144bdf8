"""Notifier command handlers: accept a notice once per dedupe key, list and mark in-app notices."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import MessageMeta
from contracts.notifications.v1 import (
    InAppNotification,
    ListNotifications,
    MarkNotificationsRead,
    NotificationAccepted,
    NotificationPage,
    NotificationsMarked,
    Notify,
)
from contracts.system.v1 import Ping
from services.notifier.tables import InboxRow, NotificationRow, OutboxRow
from shared.messaging.dispatch import Handler, tenant_of
from shared.messaging.ping import ServiceIdentity, ping


@dataclass(frozen=True)
class Deps:
    identity: ServiceIdentity
    sessions: async_sessionmaker[AsyncSession]
    wake_delivery: Callable[[], None] = lambda: None  # a new email need not wait for the next poll
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


async def notify(cmd: Notify, meta: MessageMeta, deps: Deps) -> NotificationAccepted:
    tenant_id = tenant_of(meta)
    async with deps.sessions() as session:
        if (earlier := await _by_dedupe_key(session, tenant_id, cmd.dedupe_key)) is not None:
            return NotificationAccepted(notification_id=earlier, duplicate=True)
        notification_id = _queue(session, tenant_id, cmd, deps.clock())
        try:
            await session.commit()
        except IntegrityError:  # another replica accepted the same dedupe key first
            await session.rollback()
            return NotificationAccepted(notification_id=await _by_dedupe_key(session, tenant_id, cmd.dedupe_key),
                                        duplicate=True)
    deps.wake_delivery()
    return NotificationAccepted(notification_id=notification_id, duplicate=False)


def _queue(session: AsyncSession, tenant_id: str, cmd: Notify, now: datetime) -> str:
    """The notice, one in-app copy and one email per admin (an admin listed twice gets one)."""
    notification_id = uuid.uuid4().hex
    session.add(NotificationRow(id=notification_id, tenant_id=tenant_id, dedupe_key=cmd.dedupe_key, kind=cmd.kind,
                                subject=cmd.subject, body=cmd.body, created=now))
    for recipient in {r.admin_id: r for r in cmd.recipients}.values():
        session.add(InboxRow(notification_id=notification_id, admin_id=recipient.admin_id, tenant_id=tenant_id,
                             created=now))
        session.add(OutboxRow(id=uuid.uuid4().hex, notification_id=notification_id, tenant_id=tenant_id,
                              email=recipient.email, next_attempt_at=now))
    return notification_id


async def _by_dedupe_key(session: AsyncSession, tenant_id: str, dedupe_key: str) -> str | None:
    query = select(NotificationRow.id).where(col(NotificationRow.tenant_id) == tenant_id,
                                             col(NotificationRow.dedupe_key) == dedupe_key)
    return (await session.exec(query)).first()


async def list_notifications(cmd: ListNotifications, meta: MessageMeta, deps: Deps) -> NotificationPage:
    mine = [col(InboxRow.tenant_id) == tenant_of(meta), col(InboxRow.admin_id) == cmd.admin_id]
    unread = [*mine, col(InboxRow.read_at).is_(None)]
    where = unread if cmd.unread_only else mine
    async with deps.sessions() as session:
        total = await session.scalar(select(func.count()).select_from(InboxRow).where(*where))
        unread_count = await session.scalar(select(func.count()).select_from(InboxRow).where(*unread))
        page = (select(InboxRow, NotificationRow).join(NotificationRow, col(NotificationRow.id) == col(InboxRow.notification_id))
                .where(*where).order_by(col(InboxRow.created).desc(), col(InboxRow.notification_id))
                .offset(cmd.start_index - 1).limit(cmd.count))
        rows = (await session.exec(page)).all()
    return NotificationPage(total_results=total or 0, unread=unread_count or 0,
                            notifications=[_in_app(inbox, notice) for inbox, notice in rows])


def _in_app(inbox: InboxRow, notice: NotificationRow) -> InAppNotification:
    return InAppNotification(id=notice.id, kind=notice.kind, subject=notice.subject, body=notice.body,
                             created=notice.created.replace(tzinfo=UTC), read=inbox.read_at is not None)


async def mark_read(cmd: MarkNotificationsRead, meta: MessageMeta, deps: Deps) -> NotificationsMarked:
    """Idempotent by nature: marking a read notice again changes nothing."""
    async with deps.sessions() as session:
        result = await session.exec(update(InboxRow).where(
            col(InboxRow.tenant_id) == tenant_of(meta), col(InboxRow.admin_id) == cmd.admin_id,
            col(InboxRow.notification_id).in_(cmd.ids), col(InboxRow.read_at).is_(None),
        ).values(read_at=deps.clock()))
        await session.commit()
    return NotificationsMarked(marked=result.rowcount)


HANDLERS: Mapping[type, Handler[Deps]] = {
    Notify: notify,
    ListNotifications: list_notifications,
    MarkNotificationsRead: mark_read,
    Ping: ping,
}
