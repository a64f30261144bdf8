"""Token expiry reminders: every admin hears at 30, 14, 7 and 1 days before, and at expiry.

Each notifier process looks at its tenants now and then and accepts the notice that is due. The
notice's dedupe key names the token and the milestone, so the notifier turns every process's notice,
and a process's restarted mid-way, into one notice per admin. Only the latest due milestone is
accepted: a notifier that first looks 5 days before expiry sends the 7-day reminder, not a stale
30-day one as well.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from contracts.notifications.v1 import Notify
from contracts.tenants.v2 import TenantRecord
from services.notifier.scheduled.notices import (
    Accept,
    AcceptedHere,
    milestone_due,
    recipients_of,
)
from shared.tenants_topic import LatestTenants

MILESTONE_DAYS = (1, 7, 14, 30)  # ascending: the first one at or above the days left is due


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


def _notice(record: TenantRecord, kind: str, dedupe_key: str, subject: str, body: str) -> Notify:
    return Notify(kind=kind, subject=subject, body=body, recipients=recipients_of(record), dedupe_key=dedupe_key)


class TokenReminders:
    def __init__(self, tenants: LatestTenants, clock: Callable[[], datetime]) -> None:
        self._tenants, self._clock, self._accepted = tenants, clock, AcceptedHere()

    async def accept_due(self, accept: Accept) -> int:
        """Accept every due notice not accepted by this process yet; returns how many."""
        accepted = 0
        for record in self._tenants.records():
            if (notice := due_notice(record, self._clock())) is not None:
                accepted += await self._accepted.accept_new(accept, notice, record.tenant_id)
        return accepted
