"""When a product's seats or subscription need an admin's eye: running low (>= 90 % used) or out, and a
subscription ending soon or ended.

One rule for two places, so that a mail and the screen never disagree: the notifier's seat notices
(services/notifier/scheduled/seat_notices.py) and the alerts beside each product in the admin API
(services/gateway/admin/seats.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from contracts.seats.v1 import ProductSeats

LOW_SHARE = 0.9
EXPIRY_MILESTONE_DAYS = (1, 7, 30)  # ascending: the first one at or above the days left is due


def seat_state(product: ProductSeats) -> tuple[str, str] | None:
    """("seats_exhausted" | "seats_low", dedupe key part) for a product running out; None otherwise."""
    if product.total <= 0 or product.expired:
        return None
    if product.free <= 0:
        return "seats_exhausted", f"seats-exhausted:{product.product}:{product.total}"
    if product.used >= LOW_SHARE * product.total:
        return "seats_low", f"seats-low:{product.product}:{product.total}"
    return None


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
