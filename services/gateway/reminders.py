"""Token expiry reminders (issue 5): every admin hears at 30, 14, 7 and 1 days before, and at expiry.

Each gateway replica looks at its tenant directory now and then and casts the notice that is due to
the notifier. The notice's dedupe key names the token and the milestone, so the notifier turns the
casts of every replica, and of a replica restarted mid-way, into one notice per admin. Only the
latest due milestone is cast: a replica that first looks 5 days before expiry sends the 7-day
reminder, not a stale 30-day one as well.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from contracts.notifications.v1 import Notify, Recipient
from contracts.tenants.v2 import TenantRecord
from services.gateway.tenants import TenantDirectory

MILESTONE_DAYS = (1, 7, 14, 30)  # ascending: the first one at or above the days left is due
Cast = Callable[[Notify, str], Awaitable[None]]


def due_notice(record: TenantRecord, now: datetime) -> Notify | None:
    """The reminder this tenant's admins should have by ``now``, or None."""
    token = record.token
    if token is None or not record.admins:
        return None
    left = token.expires_at - now
    if left <= timedelta(0):
        return _notice(record, "token_expired", f"token-expired:{token.token_id}",
                       "Your scimflow API token has expired: provisioning has stopped",
                       "Generate a new API token in the admin portal and enter it in your identity provider.")
    if (days := milestone_due(left, MILESTONE_DAYS)) is None:
        return None
    return _notice(record, "token_expiring", f"token-expiry:{token.token_id}:{days}d",
                   f"Your scimflow API token expires in {days} day{'s' if days > 1 else ''}",
                   f"The token expires on {token.expires_at:%Y-%m-%d %H:%M} UTC. Generate a new one in "
                   "the admin portal and enter it in your identity provider before then.")


def milestone_due(left: timedelta, milestones: tuple[int, ...]) -> int | None:
    """The smallest of the ascending day ``milestones`` at or above the time ``left``; None: none due yet."""
    return next((days for days in milestones if left <= timedelta(days=days)), None)


def recipients_of(record: TenantRecord) -> list[Recipient]:
    """Every admin of the tenant."""
    return [Recipient(admin_id=admin.admin_id, email=admin.email) for admin in record.admins]


def _notice(record: TenantRecord, kind: str, dedupe_key: str, subject: str, body: str) -> Notify:
    return Notify(kind=kind, subject=subject, body=body, recipients=recipients_of(record), dedupe_key=dedupe_key)


class CastMemory:
    """The dedupe keys this replica already cast, so each round casts only what is new here (the
    notifier turns every replica's casts, and a restarted replica's, into one notice per admin)."""

    def __init__(self) -> None:
        self._keys: set[str] = set()

    def __contains__(self, dedupe_key: str) -> bool:
        return dedupe_key in self._keys

    async def cast_new(self, cast: Cast, notice: Notify, tenant_id: str) -> int:
        """Cast ``notice`` unless this replica did; 1 when cast, else 0."""
        if notice.dedupe_key in self._keys:
            return 0
        await cast(notice, tenant_id)
        self._keys.add(notice.dedupe_key)
        return 1


class ReminderScheduler:
    def __init__(self, directory: TenantDirectory, clock: Callable[[], datetime]) -> None:
        self._directory, self._clock, self._cast = directory, clock, CastMemory()

    async def cast_due(self, cast: Cast) -> int:
        """Cast every due notice not cast by this replica yet; returns how many."""
        casts = 0
        for record in self._directory.records():
            if (notice := due_notice(record, self._clock())) is not None:
                casts += await self._cast.cast_new(cast, notice, record.tenant_id)
        return casts
