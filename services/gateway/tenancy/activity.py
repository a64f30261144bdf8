"""A tenant's first SCIM connection and its token's last use, published sparingly.

Why not one record per SCIM call: that would put a Kafka write on every request's path and flood
the compacted topic (Entra resends everything each ~40-minute cycle) for a value an admin reads to
the minute. So each replica keeps uses in memory (its own directory shows them at once) and
publishes a tenant's at most once a minute, and whatever is left on shutdown. A tenant's first
connection is due at once: it turns "Manage users through IdP" on for every replica's admin view.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timedelta

from contracts.tenants.v2 import TenantActivity, TenantRecord
from services.gateway.tenancy.directory import TenantDirectory

log = logging.getLogger(__name__)

PUBLISH_EVERY = timedelta(minutes=1)
#: A token's uses closer together than this are one use (an admin reads "last used" to the minute):
#: most calls at load then cost a dict look-up, not two models built and merged.
USE_RESOLUTION = timedelta(seconds=1)
#: How often (real seconds) uses that no later call made due are looked at again.
SWEEP_SECONDS = 60.0

Publish = Callable[[TenantActivity], Awaitable[None]]


class ActivityTracker:
    def __init__(self, directory: TenantDirectory, clock: Callable[[], datetime]) -> None:
        self._directory = directory
        self._clock = clock
        self._unpublished: set[str] = set()
        self._published_at: dict[str, datetime] = {}
        self._last_use: dict[str, tuple[str, datetime]] = {}  # tenant -> (token id, when) merged last
        self._due_now = asyncio.Event()

    def touch(self, record: TenantRecord) -> None:
        """A SCIM call this token just authenticated: the tenant is connected, the token used now."""
        assert record.token is not None  # only a verified token gets here
        now, tenant_id, token_id = self._clock(), record.tenant_id, record.token.token_id
        last = self._last_use.get(tenant_id)
        if last is not None and last[0] == token_id and timedelta(0) <= now - last[1] < USE_RESOLUTION:
            return
        self._last_use[tenant_id] = (token_id, now)
        first = self._directory.activity(tenant_id) is None
        self._directory.merge_activity(TenantActivity(
            tenant_id=tenant_id, token_id=token_id, first_connected_at=now, last_used_at=now))
        self._unpublished.add(tenant_id)
        if first or self._is_due(tenant_id, now):
            self._due_now.set()

    def _is_due(self, tenant_id: str, now: datetime) -> bool:
        last = self._published_at.get(tenant_id)
        return last is None or now - last >= PUBLISH_EVERY

    def take_due(self, *, everything: bool = False) -> list[TenantActivity]:
        now = self._clock()
        due = [tenant for tenant in self._unpublished if everything or self._is_due(tenant, now)]
        for tenant in due:
            self._unpublished.discard(tenant)
            self._published_at[tenant] = now
        self._due_now.clear()
        return [activity for tenant in due if (activity := self._directory.activity(tenant))]

    def wake(self) -> None:
        self._due_now.set()

    async def run(self, publish: Publish, stop: asyncio.Event) -> None:
        """Publish what falls due until ``stop``, then everything still unpublished (shutdown)."""
        while not stop.is_set():
            with suppress(TimeoutError):
                async with asyncio.timeout(SWEEP_SECONDS):
                    await self._due_now.wait()
            await self._publish(publish, self.take_due())
        await self._publish(publish, self.take_due(everything=True))

    async def _publish(self, publish: Publish, activities: list[TenantActivity]) -> None:
        for activity in activities:
            try:
                await publish(activity)
            except Exception:  # the broker is away: keep the use for the next attempt, keep serving
                log.warning("tenant activity not published; will retry", exc_info=True)
                self._unpublished.add(activity.tenant_id)
                self._published_at.pop(activity.tenant_id, None)
