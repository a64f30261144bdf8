"""Auto Provisioning / IdP: the screen the guides start from (IdP type, base URL, the API token, the
"Manage users through IdP" toggle, the SSO reset, the email policy, a guide per IdP)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts.tenants.v2 import TOKEN_LIFETIMES_DAYS
from services.portal import keys
from services.portal.api import ApiError
from services.portal.forms import (
    FORM_REFUSED,
    checked,
    form_of,
    refused_or_redirect,
    submit,
)
from services.portal.guides import idp_guide
from services.portal.pages import call, render

TOKEN_DAYS = tuple((str(days), "1 year" if days == 365 else f"{days} days") for days in TOKEN_LIFETIMES_DAYS)
IDP_TYPES = (("okta", "Okta"), ("entra_id", "Microsoft Entra ID"), ("other", "Other SCIM 2.0 client"))
HERE = "/provisioning"


async def show(request: web.Request, *, errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    session = keys.session_of(request)
    tenant = await call(request, "GET", "/admin/v1/tenant")
    context: dict[str, Any] = {
        "tenant": tenant, "errors": errors or {}, "token_days": TOKEN_DAYS, "idp_types": IDP_TYPES,
        "new_token": session.once.pop("token", None), "new_setup_link": session.once.pop("setup_link", None),
        "last_call": await _last_call(request), "guide": idp_guide(tenant["connection"]["idp_type"], tenant),
        "setup_link": await _setup_link(request) if session.role == "admin" else None,
    }
    return await render(request, "provisioning.html", context, status=status)


async def _last_call(request: web.Request) -> dict | None:
    """"Test API Credentials" as we saw it: the newest entry of the SCIM request log."""
    try:
        page = await call(request, "GET", "/admin/v1/tenant/scim-log", params={"count": "1"})
    except ApiError:
        return None
    return page["items"][0] if page.get("items") else None


async def _setup_link(request: web.Request) -> dict | None:
    try:
        return await call(request, "GET", "/admin/v1/tenant/setup-link")
    except ApiError:
        return None


async def change_idp(request: web.Request) -> web.Response:
    form = await form_of(request)
    _, errors = await submit(request, "idp_type", "PUT", "/admin/v1/tenant/connection",
                             json={"idp_type": form.get("idp_type")})
    return await refused_or_redirect(request, errors, show, HERE, "IdP type saved.")


async def generate_token(request: web.Request) -> web.Response:
    """The API refuses to replace a live token unless the person confirmed it (409 with the reason)."""
    form = await form_of(request)
    body = {"expires_in_days": int(form["days"]) if form.get("days", "").isdigit() else form.get("days"),
            "replace": checked(form, "replace")}
    issued, errors = await submit(request, "days", "POST", "/admin/v1/tenant/token", json=body)
    if issued:
        keys.session_of(request).once["token"] = issued
    return await refused_or_redirect(request, errors, show, HERE + "#token", "")


async def delete_token(request: web.Request) -> web.Response:
    form = await form_of(request)
    if not checked(form, "confirm_delete"):
        return await show(request, errors={"confirm_delete": "Tick the box to confirm: provisioning stops until "
                                                             "you generate a new token."}, status=FORM_REFUSED)
    _, errors = await submit(request, "confirm_delete", "DELETE", "/admin/v1/tenant/token")
    return await refused_or_redirect(request, errors, show, HERE + "#token",
                                     "Token deleted: your IdP can no longer provision until you generate a new one.")


async def change_connection(request: web.Request) -> web.Response:
    """One switch at a time: managing users through the IdP, or SSO (its "Reset All")."""
    form = await form_of(request)
    field = form.get("field", "")
    if field not in ("manage_users_through_idp", "sso_enabled"):
        raise web.HTTPBadRequest(text="unknown setting")
    _, errors = await submit(request, field, "PUT", "/admin/v1/tenant/connection",
                             json={field: form.get("value") == "on"})
    return await refused_or_redirect(request, errors, show, HERE + "#connection", "Connection saved.")


async def change_policies(request: web.Request) -> web.Response:
    form = await form_of(request)
    _, errors = await submit(request, "accept_email_changes", "PUT", "/admin/v1/tenant/policies",
                             json={"accept_email_changes": form.get("accept_email_changes") == "on"})
    return await refused_or_redirect(request, errors, show, HERE + "#policies", "Email policy saved.")


async def create_setup_link(request: web.Request) -> web.Response:
    issued, errors = await submit(request, "setup_link", "POST", "/admin/v1/tenant/setup-link", json={})
    if issued:
        keys.session_of(request).once["setup_link"] = setup_url(request, issued)
    return await refused_or_redirect(request, errors, show, HERE + "#setup-link", "")


def setup_url(request: web.Request, issued: dict) -> dict:
    """The link for the customer's IT admin: its secret after '#', which no server or log ever sees."""
    base = request.app[keys.SETTINGS].portal_public_url.rstrip("/")
    return {"url": f"{base}/setup#{issued['setup_key']}", "expires_at": issued["expires_at"]}
