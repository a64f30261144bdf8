"""The operator's screens: tenants (create one: its base URL and first token shown once), and per
tenant its admins (add one: their key shown once), product seats and expiry, rate, a setup link."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from aiohttp import web

from contracts.tenants.v2 import DEFAULT_TOKEN_DAYS
from services.portal import keys
from services.portal.forms import FORM_REFUSED, form_of, submit
from services.portal.pages import call, page_number, redirect, render
from services.portal.views.provisioning import IDP_TYPES, TOKEN_DAYS, setup_url

PER_PAGE = 25
HOME = "/operator/tenants"


def _tenant_api(request: web.Request, rest: str = "") -> str:
    return f"/admin/v1/tenants/{quote(request.match_info['tenant_id'], safe='')}{rest}"


async def tenants(request: web.Request, *, values: dict | None = None, errors: dict[str, str] | None = None,
                  status: int = 200) -> web.Response:
    page, start = page_number(request, PER_PAGE)
    search = request.query.get("search", "")
    params = {"startIndex": str(start), "count": str(PER_PAGE)} | ({"search": search} if search else {})
    listed = await call(request, "GET", "/admin/v1/tenants", params=params)
    return await render(request, "operator/tenants.html", {
        "listed": listed, "page": page, "per_page": PER_PAGE, "search": search, "values": values or {},
        "errors": errors or {}, "idp_types": IDP_TYPES, "token_days": TOKEN_DAYS, "default_days": str(DEFAULT_TOKEN_DAYS),
        "created": keys.session_of(request).once.pop("tenant", None),
        "pager_base": f"{HOME}?{urlencode({'search': search})}&" if search else f"{HOME}?"}, status=status)


async def create_tenant(request: web.Request) -> web.Response:
    form = await form_of(request)
    body = {"name": form.get("name", ""), "token_expires_in_days": int(form.get("days") or DEFAULT_TOKEN_DAYS)}
    if form.get("idp_type"):
        body["idp_type"] = form["idp_type"]
    created, errors = await submit(request, "name", "POST", "/admin/v1/tenants", json=body)
    if errors:
        return await tenants(request, values=form, errors=errors, status=FORM_REFUSED)
    keys.session_of(request).once["tenant"] = created
    raise redirect(HOME)


async def tenant(request: web.Request, *, errors: dict[str, str] | None = None, values: dict | None = None,
                 status: int = 200) -> web.Response:
    once = keys.session_of(request).once
    return await render(request, "operator/tenant.html", {
        "tenant": await call(request, "GET", _tenant_api(request)),
        "products": (await call(request, "GET", _tenant_api(request, "/products")))["products"],
        "new_admin": once.pop("admin", None), "new_setup_link": once.pop("setup_link", None),
        "errors": errors or {}, "values": values or {}}, status=status)


async def _act(request: web.Request, field: str, method: str, rest: str, body: dict, flash: str,
               once_key: str | None = None, fields: dict[str, str] | None = None) -> web.Response:
    """One operator form: the API's answer (kept to show once if it holds a secret), or its refusal."""
    answer, errors = await submit(request, field, method, _tenant_api(request, rest), json=body, fields=fields)
    if errors:
        return await tenant(request, errors=errors, values=await form_of(request), status=FORM_REFUSED)
    if once_key:
        keys.session_of(request).once[once_key] = answer
    raise redirect(_here(request), flash, request)


def _here(request: web.Request) -> str:
    return f"{HOME}/{quote(request.match_info['tenant_id'], safe='')}"


async def add_admin(request: web.Request) -> web.Response:
    form = await form_of(request)
    return await _act(request, "admin_email", "POST", "/admins",
                      {"name": form.get("admin_name", ""), "email": form.get("admin_email", "")}, "", "admin",
                      fields={"name": "admin_name"})


async def sell_product(request: web.Request) -> web.Response:
    form = await form_of(request)
    body = {"product": form.get("product", ""), "seats": _number(form.get("seats")),
            "expires_at": _end_of_day(form.get("expires_at", ""))}
    return await _act(request, "product", "POST", "/products", body, f"{body['product']}: seats sold.",
                      fields={"seats": "seats", "expires_at": "expires_at"})


async def change_product(request: web.Request) -> web.Response:
    form, product = await form_of(request), request.match_info["product"]
    body = {"seats": _number(form.get("seats"))} | (
        {"expires_at": _end_of_day(form["expires_at"])} if form.get("expires_at") else {})
    field = f"seats-{product}"
    return await _act(request, field, "PATCH", f"/products/{quote(product, safe='')}", body, f"{product}: saved.")


async def set_rate(request: web.Request) -> web.Response:
    raw = (await form_of(request)).get("requests_per_second", "")
    rate: float | str | None = None
    if raw:
        try:
            rate = float(raw)
        except ValueError:
            rate = raw  # the API says what is wrong with it
    return await _act(request, "requests_per_second", "PUT", "/rate-limit", {"requests_per_second": rate},
                      "Rate saved.")


async def create_setup_link(request: web.Request) -> web.Response:
    answer, errors = await submit(request, "setup_link", "POST", _tenant_api(request, "/setup-link"), json={})
    if errors:
        return await tenant(request, errors=errors, status=FORM_REFUSED)
    keys.session_of(request).once["setup_link"] = setup_url(request, answer)
    raise redirect(_here(request) + "#setup-link")


def _number(raw: str | None) -> int | str | None:
    """A count as typed: a number, or the text itself so the API names what is wrong with it."""
    return int(raw) if raw and re.fullmatch(r"-?[0-9]{1,12}", raw) else raw


def _end_of_day(day: str) -> str:
    """A date input's YYYY-MM-DD as the end of that day, UTC (a subscription runs through its last day)."""
    return f"{day}T23:59:59+00:00" if len(day) == 10 else day
