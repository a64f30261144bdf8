"""Notifications: the admin's in-app notices (token expiry, failure digests, seats), mark as read."""

from __future__ import annotations

from aiohttp import web

from services.portal.forms import FORM_REFUSED, refused_or_redirect, submit
from services.portal.pages import call, page_number, render

PER_PAGE = 20


async def show(request: web.Request, *, errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    page, start = page_number(request, PER_PAGE)
    unread_only = request.query.get("unread") == "true"
    params = {"startIndex": str(start), "count": str(PER_PAGE)} | ({"unread": "true"} if unread_only else {})
    listed = await call(request, "GET", "/admin/v1/tenant/notifications", params=params)
    return await render(request, "notifications.html", {
        "listed": listed, "page": page, "per_page": PER_PAGE, "unread_only": unread_only, "errors": errors or {},
    }, status=status)


async def mark_read(request: web.Request) -> web.Response:
    ids = [value for value in (await request.post()).getall("id", []) if isinstance(value, str)]
    if not ids:
        return await show(request, errors={"notifications": "Tick at least one notification to mark it read."},
                          status=FORM_REFUSED)
    _, errors = await submit(request, "notifications", "POST", "/admin/v1/tenant/notifications/read",
                             json={"ids": ids})
    return await refused_or_redirect(request, errors, show, "/notifications", f"Marked {len(ids)} read.")
