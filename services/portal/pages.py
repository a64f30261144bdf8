"""Rendering a screen: its template, with what every page shows (who is signed in, the unread count,
the CSRF token for its forms, a one-time line), and the redirects after a form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from services.portal import keys
from services.portal.api import ApiError
from services.portal.sessions import Session

TENANT_NAV = (("/", "Overview"), ("/provisioning", "Auto Provisioning"), ("/sets", "Subscription Sets"),
              ("/users", "Users"), ("/scim-log", "SCIM Log"), ("/webhooks", "Webhooks"),
              ("/notifications", "Notifications"))
OPERATOR_NAV = (("/operator/tenants", "Tenants"),)
SETUP_NAV = (("/provisioning", "Auto Provisioning"), ("/scim-log", "SCIM Log"))
NAV = {"admin": TENANT_NAV, "operator": OPERATOR_NAV, "setup": SETUP_NAV}
HOME = {"admin": "/", "operator": "/operator/tenants", "setup": "/provisioning"}


async def render(request: web.Request, template: str, context: Mapping[str, Any] | None = None, *,
                 status: int = 200) -> web.Response:
    session: Session | None = request.get(keys.SESSION)
    common: dict[str, Any] = {"session": session, "path": request.path, "errors": {}, "unread": None}
    if session is not None:
        common |= {"nav": NAV[session.role], "csrf_token": session.csrf_token, "flash": session.flash,
                   "unread": await unread_count(request, session)}
        session.flash = None
    return aiohttp_jinja2.render_template(template, request, common | dict(context or {}), status=status)


async def unread_count(request: web.Request, session: Session) -> int | None:
    """The badge on every tenant admin page; a page still renders when the notifier is slow."""
    if session.role != "admin":
        return None
    try:
        page = await call(request, "GET", "/admin/v1/tenant/notifications", params={"unread": "true", "count": "0"})
    except ApiError:
        return None
    return page.get("unread")


async def call(request: web.Request, method: str, path: str, **kwargs: Any) -> Any:
    """The admin API with the signed-in person's own key."""
    return await request.app[keys.API].call(keys.session_of(request).key, method, path, **kwargs)


def redirect(location: str, flash: str | None = None, request: web.Request | None = None) -> web.HTTPSeeOther:
    """After a form: 303 to the screen that shows the result (a reload never posts twice)."""
    if flash and request is not None:
        keys.session_of(request).flash = flash
    return web.HTTPSeeOther(location)


def page_number(request: web.Request, per_page: int) -> tuple[int, int]:
    """?page=N as (page, the API's startIndex); a page that is not a positive number is the first."""
    raw = request.query.get("page", "1")
    page = int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 1_000_000 else 1
    return page, (page - 1) * per_page + 1


def outcome_page(request: web.Request, per_page: int, base: str) -> tuple[dict[str, str], dict[str, Any]]:
    """A log's ?outcome= (failed, succeeded, all) and ?page= as the API's parameters, and what its template
    shows of them (the pager's links keep the outcome)."""
    page, start = page_number(request, per_page)
    outcome = request.query.get("outcome", "")
    params = {"startIndex": str(start), "count": str(per_page)} | ({"outcome": outcome} if outcome else {})
    shown = {"page": page, "per_page": per_page, "outcome": outcome,
             "pager_base": f"{base}?outcome={quote(outcome)}&" if outcome else f"{base}?"}
    return params, shown
