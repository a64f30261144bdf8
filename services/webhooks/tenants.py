"""The tenants as the gateway keeps them on the compacted tenants.state topic, read from its start: each
tenant's latest record (its admins are told when their endpoint is disabled), and each record handed on to
the tenant events (tenant_events.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from contracts.tenants.v2 import TenantRecord
from shared.messaging.stopping import fetch_unless_stopped
from shared.messaging.transport import TopicReader
from shared.tenants_topic import LatestTenants, tenant_records

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


Apply = Callable[[Sequence[TenantRecord]], Awaitable[None]]


async def follow(reader: TopicReader, tenants: LatestTenants, changes: Apply, stop: asyncio.Event) -> None:
    """Read the topic until ``stop``; a batch whose changes could not be handled is tried again."""
    while not stop.is_set():
        try:
            records = tenant_records(await fetch_unless_stopped(reader, stop, 200))
        except Exception:
            log.exception("reading tenants failed; tried again")
            await asyncio.sleep(RETRY_SECONDS)
            continue
        tenants.apply(records)
        while records and not stop.is_set():
            try:
                await changes(records)
                break
            except Exception:
                log.exception("handling tenant changes failed; tried again")
                await asyncio.sleep(RETRY_SECONDS)
