"""Notifier commands and results, version 1.

A sender (token lifecycle, seat allocator, sync-status reporter) names the tenant's admins to
notify; the notifier keeps one in-app notice per admin and sends one email per admin from a
persistent outbox. ``dedupe_key`` makes a notice happen once however often it is sent (Kafka
redelivery, replicas, restarts): e.g. ``token-expiry:<token_id>:30d``.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import MAX_START_INDEX, Command, Query, Result


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    admin_id: str
    email: str


class Notify(Command):
    TYPE = "notifier.notify.v1"

    kind: str  # e.g. token_expiring, token_expired, provisioning_failed, seats_low
    subject: str = Field(min_length=1, max_length=200)
    body: str
    recipients: list[Recipient] = Field(min_length=1)
    dedupe_key: str = Field(min_length=1)


class NotificationAccepted(Result):
    TYPE = "notifier.notification_accepted.v1"

    notification_id: str
    duplicate: bool  # True: this dedupe_key was notified before; nothing new was queued


class ListNotifications(Query):
    TYPE = "notifier.list_notifications.v1"

    admin_id: str
    unread_only: bool = False
    start_index: int = Field(default=1, ge=1, le=MAX_START_INDEX)
    count: int = Field(default=50, ge=0, le=200)


class InAppNotification(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: str
    subject: str
    body: str
    created: datetime
    read: bool


class NotificationPage(Result):
    TYPE = "notifier.notification_page.v1"

    total_results: int
    unread: int
    notifications: list[InAppNotification]


class MarkNotificationsRead(Command):
    TYPE = "notifier.mark_notifications_read.v1"

    admin_id: str
    ids: list[str]


class NotificationsMarked(Result):
    TYPE = "notifier.notifications_marked.v1"

    marked: int
