"""Seat notices: admins hear when a product's seats run low (>= 90 % used) or out, and when
its subscription is about to expire (30, 7 and 1 days before) or has expired.

Like the failure digests, each notifier process looks now and then: it asks the seat allocator for
the tenant's seat summary and accepts what is due. A dedupe key names the tenant, the product and the
state it is about (the seat count, the expiry date), so a notice is sent once per situation across
processes, and again only when the situation is new (more seats bought and running low again, a
renewed subscription nearing its new end). When seats count as low is shared/seat_alerts.py's rule,
which the admin API's alerts follow too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from contracts.notifications.v1 import Notify
from contracts.seats.v1 import ProductSeats, SeatSummary
from contracts.tenants.v2 import TenantRecord
from services.notifier.scheduled.notices import (
    Accept,
    AcceptedHere,
    milestone_due,
    recipients_of,
)
from shared.seat_alerts import EXPIRY_MILESTONE_DAYS, seat_state
from shared.tenants_topic import LatestTenants

#: Ask the seat allocator for a tenant's seat summary.
AskSeats = Callable[[str], Awaitable[SeatSummary]]


def expiry_state(product: ProductSeats, now: datetime) -> tuple[str, str, int] | None:
    """("subscription_expired" | "subscription_expiring", key part, days) when one is due; None otherwise."""
    left, ends = product.expires_at - now, f"{product.expires_at:%Y-%m-%d}"
    if left <= timedelta(0):
        return "subscription_expired", f"subscription-expired:{product.product}:{ends}", 0
    if (days := milestone_due(left, EXPIRY_MILESTONE_DAYS)) is None:
        return None
    return "subscription_expiring", f"subscription-expiring:{product.product}:{ends}:{days}d", days


def due_notices(record: TenantRecord, summary: SeatSummary, now: datetime) -> list[Notify]:
    notices = []
    for product in summary.products:
        if (seats := seat_state(product)) is not None:
            kind, key = seats
            subject = (f"No {product.product} seat is left" if kind == "seats_exhausted"
                       else f"{product.product} seats are running out")
            body = (f"{product.used} of {product.total} {product.product} seats are in use. Users who need one "
                    "will not be provisioned until seats are freed or more are bought.")
            notices.append(notice(record, kind, key, subject, body))
        if (expiry := expiry_state(product, now)) is not None:
            kind, key, days = expiry
            subject = (f"Your {product.product} subscription has expired" if kind == "subscription_expired"
                       else f"Your {product.product} subscription expires in {days} day{'s' if days > 1 else ''}")
            body = (f"The subscription ends on {product.expires_at:%Y-%m-%d %H:%M} UTC. Users asking for "
                    f"{product.product} are refused once it has ended.")
            notices.append(notice(record, kind, key, subject, body))
    return notices


def notice(record: TenantRecord, kind: str, key: str, subject: str, body: str) -> Notify:
    return Notify(kind=kind, subject=subject, body=body, recipients=recipients_of(record),
                  dedupe_key=f"{key}:{record.tenant_id}")


class SeatNotices:
    def __init__(self, tenants: LatestTenants, clock: Callable[[], datetime]) -> None:
        self._tenants, self._clock, self._accepted = tenants, clock, AcceptedHere()

    async def accept_due(self, ask: AskSeats, accept: Accept) -> int:
        accepted = 0
        for record in self._tenants.records():
            if not record.admins:
                continue
            for due in due_notices(record, await ask(record.tenant_id), self._clock()):
                accepted += await self._accepted.accept_new(accept, due, record.tenant_id)
        return accepted
