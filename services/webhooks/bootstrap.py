"""Composition root of the webhooks service: its database (SQLite or PostgreSQL, shared/store/backend.py),
the handlers, the stream's ingest, the deliveries, the tenants (their admins, for the disabled-endpoint
notice; their token and connection events), and pruning of the history."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from functools import partial

from contracts.notifications.v1 import Notify, Recipient
from contracts.tenants.v2 import TenantRecord
from contracts.topics import NOTIFIER_COMMANDS, TENANTS_STATE
from services.webhooks.delivery import Deliverer, Disabled, HttpPoster, Poster
from services.webhooks.handlers import HANDLERS, Deps
from services.webhooks.history import prune
from services.webhooks.ingest import ingest
from services.webhooks.migrations import SCHEMA
from services.webhooks.settings import WebhooksSettings
from services.webhooks.tables import ProcessedMessage
from services.webhooks.tenant_events import TenantEvents
from services.webhooks.tenants import follow
from services.webhooks.unit_of_work import UnitOfWork
from shared.events.emitted import epoch_ms
from shared.messaging.dispatch import Dispatcher
from shared.messaging.kafka import KafkaBus
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import Requester
from shared.messaging.transport import Bus
from shared.periodic import periodically
from shared.sqlite import PlainSql
from shared.store import journal_pruning, utc_now
from shared.store.backend import open_store
from shared.tenants_topic import LatestTenants

log = logging.getLogger(__name__)


@asynccontextmanager
async def bootstrap(settings: WebhooksSettings, identity: ServiceIdentity, *, bus: Bus | None = None,
                    poster: Poster | None = None, clock: Callable[[], datetime] = utc_now
                    ) -> AsyncIterator[Dispatcher[Deps]]:
    # The ingest's group knows this copy by its instance id, as the command group does: a restart rejoins at once.
    bus = bus or KafkaBus.configured(settings, client_id=f"{identity.source}/background",
                                     group_instance_id=identity.instance)
    stop = asyncio.Event()
    async with open_store(settings.store, SCHEMA, clock=clock) as store, AsyncExitStack() as stack:
        uow = store.units(UnitOfWork)
        publisher = await stack.enter_async_context(bus.publisher())
        notices = Requester(publisher, "", source=identity.source, timeout=10)
        tenants = LatestTenants()
        tenant_reader = await stack.enter_async_context(bus.reader(TENANTS_STATE.name, from_beginning=True))
        if poster is None:
            poster = HttpPoster(settings)
            stack.push_async_callback(poster.close)
        deliverer = Deliverer(uow, poster, settings, clock=clock, notify=partial(_tell_admins, notices, tenants))
        tenant_events = TenantEvents(uow, publisher, clock)
        changes = tenant_events.apply if settings.events_enabled else _publish_none
        tasks = [asyncio.create_task(follow(tenant_reader, tenants, changes, stop)),
                 asyncio.create_task(ingest(bus, uow, clock, deliverer.wake, stop)),
                 asyncio.create_task(deliverer.run(stop))]
        await stack.enter_async_context(journal_pruning(store.maintenance, ProcessedMessage, clock))
        if settings.events_enabled:
            await stack.enter_async_context(periodically(
                "token reminders", timedelta(seconds=settings.token_reminder_check_seconds),
                tenant_events.remind_due))
        await stack.enter_async_context(periodically(
            "history pruning", timedelta(hours=1), partial(prune_history, uow, clock, settings.history)))
        try:
            yield Dispatcher(HANDLERS, Deps(identity, uow, settings, clock, wake_delivery=deliverer.wake))
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _publish_none(_: Sequence[TenantRecord]) -> None:
    """Events off: the tenants' changes are read (for their admins) but publish nothing."""


async def _tell_admins(notices: Requester, tenants: LatestTenants, disabled: Disabled) -> None:
    record = tenants.get(disabled.tenant_id)
    recipients = [Recipient(admin_id=admin.admin_id, email=admin.email) for admin in (record.admins if record else ())]
    if not recipients:
        log.warning("an endpoint was disabled and its tenant has no admin to tell",
                    extra={"tenant_id": disabled.tenant_id, "endpoint_id": disabled.endpoint_id})
        return
    notice = Notify(
        kind="webhook_disabled", subject=f"Webhook endpoint disabled: {disabled.url}"[:200],
        body=(f"No delivery to {disabled.url} has succeeded since {disabled.failing_since:%Y-%m-%d %H:%M} UTC, so "
              "scimflow stopped sending to it. Its undelivered events are kept: fix the endpoint, then enable it "
              "again in the Admin Portal (Webhooks) or with PATCH /admin/v1/tenant/webhooks/{id} {\"enabled\": true}."),
        recipients=recipients,
        dedupe_key=f"webhook-disabled:{disabled.endpoint_id}:{int(disabled.failing_since.timestamp())}")
    await notices.cast(notice, topic=NOTIFIER_COMMANDS.name, key=disabled.tenant_id, tenant_id=disabled.tenant_id)


async def prune_history(uow: Callable[..., UnitOfWork], clock: Callable[[], datetime], keep: timedelta) -> None:
    """Events, their queued deliveries and attempts older than the history keeps."""
    before = clock() - keep

    def forget(sql: PlainSql) -> tuple[int, int]:
        return prune(sql, epoch_ms(before)), sql.run("DELETE FROM attempts WHERE time < ?", before)

    async with uow() as unit:
        events, attempts = await unit.run(forget)
        await unit.commit()
    log.info("history pruned", extra={"events": events, "attempts": attempts})
