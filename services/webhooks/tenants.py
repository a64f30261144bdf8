"""The tenants as the gateway keeps them on the compacted tenants.state topic, read from its start: who
each tenant's admins are (to tell them their endpoint was disabled), and each record handed on to the
tenant events (tenant_events.py). Only names, emails and public ids are kept; no key or hash ever is."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from contracts.notifications.v1 import Recipient
from contracts.tenants.v2 import TenantRecord
from shared.messaging.stopping import fetch_unless_stopped
from shared.messaging.transport import TopicReader
from shared.tenants_topic import tenant_records

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


class TenantAdmins:
    def __init__(self) -> None:
        self._admins: dict[str, tuple[Recipient, ...]] = {}
        self._revisions: dict[str, int] = {}

    def of(self, tenant_id: str) -> tuple[Recipient, ...]:
        return self._admins.get(tenant_id, ())

    def apply(self, records: Sequence[TenantRecord]) -> None:
        for record in records:
            if record.revision and record.revision <= self._revisions.get(record.tenant_id, 0):
                continue  # a stale copy (the gateway's own rule: the first record of a revision wins)
            self._revisions[record.tenant_id] = record.revision
            self._admins[record.tenant_id] = tuple(Recipient(admin_id=admin.admin_id, email=admin.email)
                                                   for admin in record.admins)


Apply = Callable[[Sequence[TenantRecord]], Awaitable[None]]


async def follow(reader: TopicReader, admins: TenantAdmins, changes: Apply, stop: asyncio.Event) -> None:
    """Read the topic until ``stop``; a batch whose changes could not be handled is tried again."""
    while not stop.is_set():
        try:
            records = tenant_records(await fetch_unless_stopped(reader, stop, 200))
        except Exception:
            log.exception("reading tenants failed; tried again")
            await asyncio.sleep(RETRY_SECONDS)
            continue
        admins.apply(records)
        while records and not stop.is_set():
            try:
                await changes(records)
                break
            except Exception:
                log.exception("handling tenant changes failed; tried again")
                await asyncio.sleep(RETRY_SECONDS)
