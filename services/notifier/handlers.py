"""Notifier command handlers: accept a notice once per dedupe key, list and mark in-app notices."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlmodel import col, select

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
from shared.sqlite import PlainSql, new_row, table_of
from shared.store.unit_of_work import UnitOfWork

_NOTIFICATIONS, _INBOX, _OUTBOX = table_of(NotificationRow), table_of(InboxRow), table_of(OutboxRow)


@dataclass(frozen=True)
class Deps:
    identity: ServiceIdentity
    uow: Callable[..., UnitOfWork]  # on the notifier's store, SQLite or PostgreSQL (shared/store/backend.py)
    wake_delivery: Callable[[], None] = lambda: None  # a new email need not wait for the next poll
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


async def notify(cmd: Notify, meta: MessageMeta, deps: Deps) -> NotificationAccepted:
    tenant_id, now = tenant_of(meta), deps.clock()
    async with deps.uow() as uow:
        accepted = await uow.run(lambda sql: _file(sql, tenant_id, cmd, now))
        await uow.commit()
    if not accepted.duplicate:
        deps.wake_delivery()
    return accepted


def _file(sql: PlainSql, tenant_id: str, cmd: Notify, now: datetime) -> NotificationAccepted:
    """The notice, one in-app copy and one email per admin (an admin listed twice gets one); or the notice
    filed earlier under the same dedupe key. The insert itself decides (OR IGNORE / ON CONFLICT DO NOTHING):
    two copies of the notifier on PostgreSQL may both be filing it, and the second waits for the first."""
    notification_id = uuid.uuid4().hex
    notice = {"id": notification_id, "tenant_id": tenant_id, "dedupe_key": cmd.dedupe_key, "kind": cmd.kind,
              "subject": cmd.subject, "body": cmd.body, "created": now}
    if not sql.insert(_NOTIFICATIONS, notice, on_conflict="IGNORE"):
        earlier = sql.value("SELECT id FROM notifications WHERE tenant_id = ? AND dedupe_key = ?",
                            tenant_id, cmd.dedupe_key)
        return NotificationAccepted(notification_id=earlier, duplicate=True)
    for recipient in {r.admin_id: r for r in cmd.recipients}.values():
        sql.insert(_INBOX, {"notification_id": notification_id, "admin_id": recipient.admin_id,
                            "tenant_id": tenant_id, "created": now, "read_at": None})
        sql.insert(_OUTBOX, vars(new_row(OutboxRow, id=uuid.uuid4().hex, notification_id=notification_id,
                                         tenant_id=tenant_id, email=recipient.email, next_attempt_at=now)))
    return NotificationAccepted(notification_id=notification_id, duplicate=False)


async def list_notifications(cmd: ListNotifications, meta: MessageMeta, deps: Deps) -> NotificationPage:
    mine = [col(InboxRow.tenant_id) == tenant_of(meta), col(InboxRow.admin_id) == cmd.admin_id]
    unread = [*mine, col(InboxRow.read_at).is_(None)]
    where = unread if cmd.unread_only else mine
    async with deps.uow(read_only=True) as uow:
        session = uow.session
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
    async with deps.uow() as uow:
        result = await uow.session.exec(update(InboxRow).where(
            col(InboxRow.tenant_id) == tenant_of(meta), col(InboxRow.admin_id) == cmd.admin_id,
            col(InboxRow.notification_id).in_(cmd.ids), col(InboxRow.read_at).is_(None),
        ).values(read_at=deps.clock()))
        await uow.commit()
    return NotificationsMarked(marked=result.rowcount)


HANDLERS: Mapping[type, Handler[Deps]] = {
    Notify: notify,
    ListNotifications: list_notifications,
    MarkNotificationsRead: mark_read,
    Ping: ping,
}
