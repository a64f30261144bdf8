"""Reading the compacted ``tenants.state`` topic, which the gateway writes: each record decoded by its
``message_type`` header, and the topic read to its end, then followed.

Its own module because three services read the topic and must read it alike (and keep each tenant's
latest record alike, LatestTenants): the gateway (every tenant,
to check credentials), the webhooks service (token and connection events) and the notifier (the notices
it schedules). A record that cannot be decoded (a type this version does not know yet, a broken body)
is logged and skipped: one bad record must not stop a service from reading the tenants after it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from contracts.base import Message
from contracts.tenants.v2 import TenantRecord
from shared.messaging.codec import DecodeError, decode_headers, decode_message
from shared.messaging.stopping import fetch_unless_stopped
from shared.messaging.transport import Record, TopicReader

log = logging.getLogger(__name__)

#: After a failed read, the pause before the next (the broker away: no busy loop).
RETRY_SECONDS = 1.0

Apply = Callable[[list[Message]], None]


def tenant_messages(records: Iterable[Record]) -> list[Message]:
    """The topic's records as messages: tenant records (v1 and v2) and tenant activity."""
    messages = []
    for record in records:
        try:
            messages.append(decode_message(decode_headers(record.headers), record.value))
        except (DecodeError, ValueError):
            log.error("unreadable tenant record skipped", extra={"offset": record.offset})
    return messages


def tenant_records(records: Iterable[Record]) -> list[TenantRecord]:
    """The (v2) tenant records among the topic's records; activity and v1 records left out."""
    return [message for message in tenant_messages(records) if isinstance(message, TenantRecord)]


async def catch_up(reader: TopicReader, apply: Apply) -> None:
    """Every record published so far, before a service starts on them."""
    while await reader.lag() > 0:
        apply(tenant_messages(await reader.fetch(500)))


async def follow(reader: TopicReader, apply: Apply, stop: asyncio.Event) -> None:
    """Each new record as it comes, until ``stop``; a failed read is logged and tried again."""
    while not stop.is_set():
        try:
            records = await fetch_unless_stopped(reader, stop, 200)
        except Exception:
            log.exception("reading the tenants failed; tried again")
            await asyncio.sleep(RETRY_SECONDS)
            continue
        apply(tenant_messages(records))


class LatestTenants:
    """Each tenant's latest record, by the gateway's own rule: a record whose revision is not above the one
    held is a stale copy (another gateway's change lost the race) and is dropped; revision 0 is a record
    from before revisions. Activity and v1 records are left out (a v1 record has no admins)."""

    def __init__(self) -> None:
        self._latest: dict[str, TenantRecord] = {}

    def apply(self, messages: Iterable[Message]) -> None:
        for record in messages:
            if not isinstance(record, TenantRecord):
                continue
            held = self._latest.get(record.tenant_id)
            if held is None or not 0 < record.revision <= held.revision:
                self._latest[record.tenant_id] = record

    def get(self, tenant_id: str) -> TenantRecord | None:
        return self._latest.get(tenant_id)

    def records(self) -> list[TenantRecord]:
        return list(self._latest.values())
