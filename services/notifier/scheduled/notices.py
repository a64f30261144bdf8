"""What the scheduled notices share: every admin of the tenant hears them, a milestone falls due by the
days left, and each notifier process remembers the notices it accepted already.

Why a memory, when the notifier's handler accepts a dedupe key once anyway (across its replicas and
restarts, handlers.notify): each round would otherwise ask the store again for every notice already
known, and a digest would ask the sync-status reporter again for a window already told.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from contracts.notifications.v1 import Notify, Recipient
from contracts.tenants.v2 import TenantRecord

#: Accept a notice for a tenant, as the notifier accepts one that came over Kafka (schedule.accepted_by).
Accept = Callable[[Notify, str], Awaitable[None]]


def milestone_due(left: timedelta, milestones: tuple[int, ...]) -> int | None:
    """The smallest of the ascending day ``milestones`` at or above the time ``left``; None: none due yet."""
    return next((days for days in milestones if left <= timedelta(days=days)), None)


def recipients_of(record: TenantRecord) -> list[Recipient]:
    """Every admin of the tenant."""
    return [Recipient(admin_id=admin.admin_id, email=admin.email) for admin in record.admins]


class AcceptedHere:
    """The dedupe keys this process accepted already, so each round accepts only what is new here."""

    def __init__(self) -> None:
        self._keys: set[str] = set()

    def __contains__(self, dedupe_key: str) -> bool:
        return dedupe_key in self._keys

    async def accept_new(self, accept: Accept, notice: Notify, tenant_id: str) -> int:
        """Accept ``notice`` unless this process did; 1 when accepted, else 0."""
        if notice.dedupe_key in self._keys:
            return 0
        await accept(notice, tenant_id)
        self._keys.add(notice.dedupe_key)
        return 1
