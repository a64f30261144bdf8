"""The gateway's Kafka lifecycle (aiohttp cleanup_ctx): one publisher, one reply reader, one
tenant-directory reader, the tenant-activity publisher and the SCIM call log's sender per process,
started before the first request and stopped after the last (the activity still unpublished and
the SCIM calls still buffered go out on the way down). No periodic job runs here: the notices that
fall due with time (token expiry, failure digests, seats) are the notifier's own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

from aiohttp import web

from contracts.base import Message
from contracts.tenants.v2 import TenantActivity, activity_key
from contracts.topics import ALL_TOPICS, TENANTS_STATE, reply_topic
from services.gateway import keys
from services.gateway.scim_api.call_log import sender as scim_log_sender
from services.gateway.tenancy.activity import Publish
from services.gateway.tenancy.directory import TenantDirectory
from shared.messaging.requester import Requester
from shared.tenants_topic import Apply, catch_up, follow

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
        into_directory = _applier(app[keys.TENANTS])
        # Every tenant before serving, so a restarted gateway accepts existing tokens at once.
        await catch_up(tenant_reader, into_directory)
        tasks = [
            asyncio.create_task(requester.consume_replies(reply_reader, stop)),
            asyncio.create_task(follow(tenant_reader, into_directory, stop)),
            asyncio.create_task(app[keys.ACTIVITY].run(_activity_publisher(requester), stop)),
            asyncio.create_task(app[keys.SCIM_LOG].run(scim_log_sender(requester, settings.instance_id), stop)),
        ]
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


def _applier(directory: TenantDirectory) -> Apply:
    """Each message into the directory: v1 and v2 tenant records, tenant activity."""
    def apply(messages: list[Message]) -> None:
        for message in messages:
            try:
                directory.apply(message)
            except (TypeError, ValueError):  # no tenant's message, or a v1 record that cannot be upgraded
                log.error("tenant message skipped", extra={"message_type": message.TYPE})
    return apply
