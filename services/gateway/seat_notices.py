"""Seat notices (issue 7): admins hear when a product's seats run low (>= 90 % used) or out, and when
its subscription is about to expire (30, 7 and 1 days before) or has expired.

Like the failure digests, each gateway replica looks now and then: it asks the seat allocator for
the tenant's seat summary and casts what is due. A dedupe key names the tenant, the product and the
state it is about (the seat count, the expiry date), so a notice is sent once per situation across
replicas, and again only when the situation is new (more seats bought and running low again, a
renewed subscription nearing its new end).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from contracts.notifications.v1 import Notify
from contracts.seats.v1 import ProductSeats, SeatSummary
from contracts.tenants.v2 import TenantRecord
from services.gateway.reminders import Cast, CastMemory, milestone_due, recipients_of
from services.gateway.tenants import TenantDirectory

LOW_SHARE = 0.9
EXPIRY_MILESTONE_DAYS = (1, 7, 30)  # ascending: the first one at or above the days left is due

#: Ask the seat allocator for a tenant's seat summary.
AskSeats = Callable[[str], Awaitable[SeatSummary]]


def seat_state(product: ProductSeats) -> tuple[str, str] | None:
    """("seats_exhausted" | "seats_low", dedupe key part) for a product running out; None otherwise."""
    if product.total <= 0 or product.expired:
        return None
    if product.free <= 0:
        return "seats_exhausted", f"seats-exhausted:{product.product}:{product.total}"
    if product.used >= LOW_SHARE * product.total:
        return "seats_low", f"seats-low:{product.product}:{product.total}"
    return None


def expiry_state(product: ProductSeats, now: datetime) -> tuple[str, str, int] | None:
    """("subscription_expired" | "subscription_expiring", key part, days) when one is due; None otherwise."""
    left, ends = product.expires_at - now, f"{product.expires_at:%Y-%m-%d}"
    if left <= timedelta(0):
        return "subscription_expired", f"subscription-expired:{product.product}:{ends}", 0
    if (days := milestone_due(left, EXPIRY_MILESTONE_DAYS)) is None:
        return None
    return "subscription_expiring", f"subscription-expiring:{product.product}:{ends}:{days}d", days


def product_alerts(product: ProductSeats, now: datetime) -> list[str]:
    """What an admin should see beside a product (the portal's warnings): the notices' own states,
    and "subscription_expiring" throughout its last EXPIRY_MILESTONE_DAYS[-1] days."""
    alerts = [state[0]] if (state := seat_state(product)) else []
    left = product.expires_at - now
    if left <= timedelta(0):
        alerts.append("subscription_expired")
    elif left <= timedelta(days=EXPIRY_MILESTONE_DAYS[-1]):
        alerts.append("subscription_expiring")
    return alerts


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
    def __init__(self, directory: TenantDirectory, clock: Callable[[], datetime]) -> None:
        self._directory, self._clock, self._cast = directory, clock, CastMemory()

    async def cast_due(self, ask: AskSeats, cast: Cast) -> int:
        casts = 0
        for record in self._directory.records():
            if not record.admins:
                continue
            for due in due_notices(record, await ask(record.tenant_id), self._clock()):
                casts += await self._cast.cast_new(cast, due, record.tenant_id)
        return casts
