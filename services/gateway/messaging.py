"""The gateway's Kafka lifecycle (aiohttp cleanup_ctx): one publisher, one reply reader, one
tenant-directory reader, the tenant-activity publisher, the SCIM call log's sender, the token-expiry
reminders, the failure digests and the seat notices per process,
started before the first request and stopped after the last (the activity still unpublished and
the SCIM calls still buffered go out on the way down)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from functools import partial

from aiohttp import web

from contracts.notifications.v1 import Notify
from contracts.seats.v1 import GetSeatSummary, SeatSummary, seats_key
from contracts.sync_status.v1 import ListUserStatuses, UserStatusPage
from contracts.tenants.v2 import TenantActivity, activity_key
from contracts.topics import (
    ALL_TOPICS,
    NOTIFIER_COMMANDS,
    SEATS_COMMANDS,
    SYNC_STATUS_COMMANDS,
    TENANTS_STATE,
    reply_topic,
)
from services.gateway import keys
from services.gateway.activity import Publish
from services.gateway.digests import AskStatus, FailureDigests
from services.gateway.reminders import Cast, ReminderScheduler
from services.gateway.scim_log import sender as scim_log_sender
from services.gateway.seat_notices import AskSeats, SeatNotices
from services.gateway.tenants import TenantDirectory
from shared.messaging.codec import DecodeError, decode_headers, decode_message
from shared.messaging.requester import Requester, unwrap
from shared.messaging.transport import TopicReader
from shared.store import periodically

log = logging.getLogger(__name__)


async def messaging_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, bus = app[keys.SETTINGS], app[keys.BUS]
    replies = reply_topic(settings.instance_id)
    await bus.ensure_topics([*ALL_TOPICS, replies])
    stop = asyncio.Event()
    async with AsyncExitStack() as stack:
        publisher = await stack.enter_async_context(bus.publisher())
        reply_reader = await stack.enter_async_context(bus.reader(replies.name, from_beginning=False))
        tenant_reader = await stack.enter_async_context(bus.reader(TENANTS_STATE.name, from_beginning=True))
        requester = Requester(publisher, replies.name, source=f"gateway/{settings.instance_id}",
                              timeout=settings.request_timeout)
        app[keys.REQUESTER] = requester
        await catch_up(tenant_reader, app[keys.TENANTS])
        tasks = [
            asyncio.create_task(requester.consume_replies(reply_reader, stop)),
            asyncio.create_task(follow_tenants(tenant_reader, app[keys.TENANTS], stop)),
            asyncio.create_task(app[keys.ACTIVITY].run(_activity_publisher(requester), stop)),
            asyncio.create_task(app[keys.SCIM_LOG].run(scim_log_sender(requester, settings.instance_id), stop)),
        ]
        reminders = ReminderScheduler(app[keys.TENANTS], app[keys.CLOCK])
        await stack.enter_async_context(periodically(
            "token reminders", timedelta(seconds=settings.reminder_interval_seconds),
            partial(reminders.cast_due, _notice_caster(requester))))
        digests = FailureDigests(app[keys.TENANTS], app[keys.CLOCK], timedelta(minutes=settings.failure_digest_minutes))
        await stack.enter_async_context(periodically(
            "failure digests", timedelta(seconds=settings.failure_digest_check_seconds),
            partial(digests.cast_due, _status_asker(requester), _notice_caster(requester))))
        seat_notices = SeatNotices(app[keys.TENANTS], app[keys.CLOCK])
        await stack.enter_async_context(periodically(
            "seat notices", timedelta(seconds=settings.seat_notice_interval_seconds),
            partial(seat_notices.cast_due, _seat_asker(requester), _notice_caster(requester))))
        app[keys.READY]["messaging"] = True
        yield
        app[keys.READY]["messaging"] = False
        stop.set()
        app[keys.ACTIVITY].wake()
        app[keys.SCIM_LOG].wake()
        await asyncio.gather(*tasks, return_exceptions=True)


def _activity_publisher(requester: Requester) -> Publish:
    async def publish(activity: TenantActivity) -> None:
        await requester.cast(activity, topic=TENANTS_STATE.name, key=activity_key(activity.tenant_id),
                             tenant_id=activity.tenant_id)
    return publish


def _seat_asker(requester: Requester) -> AskSeats:
    async def ask(tenant_id: str) -> SeatSummary:
        reply = await requester.ask(GetSeatSummary(), topic=SEATS_COMMANDS.name, key=seats_key(tenant_id),
                                    tenant_id=tenant_id)
        return unwrap(reply, SeatSummary)
    return ask


def _status_asker(requester: Requester) -> AskStatus:
    async def ask(query: ListUserStatuses, tenant_id: str) -> UserStatusPage:
        reply = await requester.ask(query, topic=SYNC_STATUS_COMMANDS.name, key=tenant_id, tenant_id=tenant_id)
        return unwrap(reply, UserStatusPage)
    return ask


def _notice_caster(requester: Requester) -> Cast:
    async def cast(notice: Notify, tenant_id: str) -> None:
        await requester.cast(notice, topic=NOTIFIER_COMMANDS.name, key=tenant_id, tenant_id=tenant_id)
    return cast


def _apply(records, directory: TenantDirectory) -> None:
    """Each record by its ``message_type`` header: v1 and v2 tenant records, tenant activity."""
    for record in records:
        try:
            directory.apply(decode_message(decode_headers(record.headers), record.value))
        except (DecodeError, ValueError):
            log.error("unreadable tenant record skipped", extra={"offset": record.offset})


async def catch_up(reader: TopicReader, directory: TenantDirectory) -> None:
    """Load every tenant before serving, so a restarted gateway accepts existing tokens at once."""
    while await reader.lag() > 0:
        _apply(await reader.fetch(500), directory)


async def follow_tenants(reader: TopicReader, directory: TenantDirectory, stop: asyncio.Event) -> None:
    while not stop.is_set():
        _apply(await reader.fetch(200), directory)
