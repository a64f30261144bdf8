"""Provisioning-failure digests: one notice per tenant per interval, not one per user.

Entra ID retries a failing user every provisioning cycle (40 minutes), so a mail per failure would
bury the admins. Time is cut into fixed windows of ``interval``; once a window has ended, each
notifier process asks the sync-status reporter for the users whose last attempt in that window failed
and accepts one digest. The dedupe key names the tenant and the window, so however many notifier
processes accept it, every admin gets it once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from contracts.notifications.v1 import Notify
from contracts.sync_status.v1 import ListUserStatuses, UserStatusPage
from contracts.tenants.v2 import TenantRecord
from services.notifier.scheduled.notices import Accept, AcceptedHere, recipients_of
from shared.tenants_topic import LatestTenants

#: Failures listed in the mail itself; the rest are counted, and the admin API has them all.
LISTED = 20

#: Ask the sync-status reporter on a tenant's behalf.
AskStatus = Callable[[ListUserStatuses, str], Awaitable[UserStatusPage]]


def last_window(now: datetime, interval: timedelta) -> tuple[int, datetime, datetime]:
    """The latest window that has ended: (its number, start, end)."""
    number = int(now.timestamp() // interval.total_seconds()) - 1
    start = datetime.fromtimestamp(number * interval.total_seconds(), UTC)
    return number, start, start + interval


def digest_key(tenant_id: str, window: int) -> str:
    return f"failure-digest:{tenant_id}:{window}"


def digest(record: TenantRecord, failed: UserStatusPage, number: int, start: datetime, end: datetime) -> Notify:
    lines = [f"- {user.user_name}: {user.detail}" for user in failed.users[:LISTED]]
    if (more := failed.total_results - len(lines)) > 0:
        lines.append(f"... and {more} more.")
    count = failed.total_results
    return Notify(
        kind="provisioning_failed", recipients=recipients_of(record),
        dedupe_key=digest_key(record.tenant_id, number),
        subject=f"{count} user{'s' if count != 1 else ''} could not be provisioned",
        body=(f"Between {start:%Y-%m-%d %H:%M} and {end:%H:%M} UTC your identity provider's last attempt "
              f"failed for these users:\n" + "\n".join(lines) +
              "\n\nThe sync status page of the admin portal lists every user with the reason."))


class FailureDigests:
    def __init__(self, tenants: LatestTenants, clock: Callable[[], datetime], interval: timedelta) -> None:
        self._tenants, self._clock, self._interval, self._accepted = tenants, clock, interval, AcceptedHere()

    async def accept_due(self, ask: AskStatus, accept: Accept) -> int:
        """Accept the last ended window's digest of every tenant with failures in it; returns how many."""
        number, start, end = last_window(self._clock(), self._interval)
        accepted = 0
        for record in self._tenants.records():
            if not record.admins or digest_key(record.tenant_id, number) in self._accepted:
                continue  # no one to tell, or told already: no need to ask
            failed = await ask(ListUserStatuses(status="failed", since=start, until=end, count=LISTED),
                               record.tenant_id)
            if failed.total_results:
                accepted += await self._accepted.accept_new(accept, digest(record, failed, number, start, end),
                                                            record.tenant_id)
        return accepted
