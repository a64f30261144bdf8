"""Who a tenant's admins are, to tell them their endpoint was disabled: read from the tenants' compacted
topic (tenants.state) as the gateway writes it. Only names and emails are kept; no key ever is."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from contracts.notifications.v1 import Recipient
from contracts.tenants.v2 import TenantRecord
from shared.messaging.codec import DecodeError, decode_headers, decode_message
from shared.messaging.transport import Record, TopicReader

log = logging.getLogger(__name__)


class TenantAdmins:
    def __init__(self) -> None:
        self._admins: dict[str, tuple[Recipient, ...]] = {}
        self._revisions: dict[str, int] = {}

    def of(self, tenant_id: str) -> tuple[Recipient, ...]:
        return self._admins.get(tenant_id, ())

    def apply(self, records: Iterable[Record]) -> None:
        for record in records:
            try:
                message = decode_message(decode_headers(record.headers), record.value)
            except DecodeError:
                continue  # a type this version does not know (activity of a newer gateway ...)
            if isinstance(message, TenantRecord):
                self._keep(message)

    def _keep(self, record: TenantRecord) -> None:
        if record.revision and record.revision <= self._revisions.get(record.tenant_id, 0):
            return  # a stale copy (the gateway's own rule: the first record of a revision wins)
        self._revisions[record.tenant_id] = record.revision
        self._admins[record.tenant_id] = tuple(Recipient(admin_id=admin.admin_id, email=admin.email)
                                               for admin in record.admins)


async def follow(reader: TopicReader, admins: TenantAdmins, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            admins.apply(await reader.fetch(200))
        except Exception:
            log.exception("reading tenants failed; retried")
            await asyncio.sleep(1)
