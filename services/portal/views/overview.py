"""Overview (the Admin Dashboard): subscribed products with their seats and expiry, and the sync summary."""

from __future__ import annotations

from aiohttp import web

from services.portal.pages import call, render

ALERT_WORDS = {
    "seats_low": "Almost full (90 % or more used)",
    "seats_exhausted": "Out of seats",
    "subscription_expiring": "Expires within 30 days",
    "subscription_expired": "Expired",
}


async def show(request: web.Request) -> web.Response:
    products = (await call(request, "GET", "/admin/v1/tenant/products"))["products"]
    summary = await call(request, "GET", "/admin/v1/tenant/sync/summary")
    return await render(request, "overview.html", {"products": products, "summary": summary,
                                                   "alert_words": ALERT_WORDS})
