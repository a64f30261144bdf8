"""Users: every provisioned user with their sync status, filters, search, a history panel, and one
user's vendor attributes (role, credits, products), which the admin may change."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from services.portal.forms import FORM_REFUSED, form_of, submit
from services.portal.pages import call, page_number, redirect, render

PER_PAGE = 25
FILTERS = ("status", "product", "set", "search")
STATUSES = ("synced", "pending", "failed", "deleted")
ROLES = ("User", "Admin")
USER_CREDITS = ("Limited", "Unlimited")
RESET_USAGE = ("Monthly", "Quarterly", "Yearly", "Never")


async def show(request: web.Request) -> web.Response:
    page, start = page_number(request, PER_PAGE)
    chosen = {name: request.query[name] for name in FILTERS if request.query.get(name)}
    listed = await call(request, "GET", "/admin/v1/tenant/sync/users",
                        params={**chosen, "startIndex": str(start), "count": str(PER_PAGE)})
    products = (await call(request, "GET", "/admin/v1/tenant/products"))["products"]
    sets = (await call(request, "GET", "/admin/v1/tenant/subscription-sets"))["sets"]
    return await render(request, "users.html", {
        "listed": listed, "page": page, "per_page": PER_PAGE, "chosen": chosen, "statuses": STATUSES,
        "products": products, "sets": sets, "pager_base": f"/users?{urlencode(chosen)}&" if chosen else "/users?"})


async def history(request: web.Request) -> web.Response:
    """The panel (htmx swaps it in; without script it is a page of its own)."""
    user_name = request.query.get("user_name", "")
    found = await call(request, "GET", f"/admin/v1/tenant/sync/users/{quote(user_name, safe='')}/history")
    template = "_history.html" if request.headers.get("HX-Request") else "history.html"
    return await render(request, template, {"history": found})


async def detail(request: web.Request, *, values: dict | None = None, errors: dict[str, str] | None = None,
                 status: int = 200) -> web.Response:
    user = await call(request, "GET", _user_path(request))
    products = (await call(request, "GET", "/admin/v1/tenant/products"))["products"]
    return await render(request, "user.html", {
        "user": user, "values": values or user, "products": products, "errors": errors or {},
        "roles": ROLES, "user_credits": USER_CREDITS, "reset_usage": RESET_USAGE}, status=status)


async def change(request: web.Request) -> web.Response:
    """Role, credits and products through the user store's own path: seat rules apply, history records it."""
    posted, form = await request.post(), await form_of(request)
    values: dict[str, Any] = {name: form[name] for name in ("role", "user_credit", "reset_usage") if form.get(name)}
    values["products"] = [p for p in posted.getall("products", []) if isinstance(p, str)]
    limit = form.get("credit_limit", "")
    values["credit_limit"] = int(limit) if limit.isascii() and limit.isdigit() else None
    if limit and values["credit_limit"] is None:
        return await detail(request, values=values, status=FORM_REFUSED,
                            errors={"credit_limit": "Enter the credit limit as a whole number, like 1000"})
    _, errors = await submit(request, "user", "PATCH", _user_path(request), json=values)
    if errors:
        return await detail(request, values=values, errors=errors, status=FORM_REFUSED)
    raise redirect(request.path, "Saved.", request)


def _user_path(request: web.Request) -> str:
    return f"/admin/v1/tenant/users/{quote(request.match_info['user_id'], safe='')}"
