"""Sign-in with an admin key or the operator key, sign-out, and opening a setup link.

The key is checked by calling the admin API with it; what kind of key it is decides the screens.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from services.portal import keys
from services.portal.api import ApiError
from services.portal.forms import FORM_REFUSED
from services.portal.middlewares import SIGNIN_CSRF_COOKIE
from services.portal.pages import HOME, render
from services.portal.sessions import COOKIE, Role

ADMIN_KEY_PREFIX = "sca_"
SETUP_KEY_PREFIX = "scl_"
REASONS = {"expired": "Your session ended. Sign in again.", "signed-out": "You are signed out."}
PASTE_THE_LINK = "Paste the whole setup link you were sent, or the part after # (it starts with scl_)"
WRONG_KEY = "That key is not valid. Check it and try again: admin keys start with sca_."


async def signin_form(request: web.Request) -> web.Response:
    if (session := request.get(keys.SESSION)) is not None:
        raise web.HTTPSeeOther(HOME[session.role])
    return await _form(request, "signin.html", {"reason": REASONS.get(request.query.get("reason", ""))})


async def signin(request: web.Request) -> web.StreamResponse:
    address, throttle = request.remote or "?", request.app[keys.THROTTLE]
    if wait := throttle.wait_for(address):
        return await _form(request, "signin.html", {"errors": {"key": (
            f"Too many wrong keys. Wait {wait:.0f} seconds, then try again.")}}, status=429)
    key = str((await request.post()).get("key", "")).strip()
    if not key:
        return await _form(request, "signin.html", {"errors": {"key": "Enter your admin key"}}, status=FORM_REFUSED)
    try:
        role, label = await _who(request, key)
    except ApiError as error:
        if error.status == 429:  # the API holds this key back after failures with it elsewhere: its words
            return await _form(request, "signin.html", {"errors": {"key": error.detail}}, status=429)
        if error.status != 401:
            raise
        throttle.failed(address)
        return await _form(request, "signin.html", {"errors": {"key": WRONG_KEY}}, status=FORM_REFUSED)
    throttle.succeeded(address)
    return _start(request, role, key, label)


async def _who(request: web.Request, key: str) -> tuple[Role, str]:
    api = request.app[keys.API]
    if key.startswith(ADMIN_KEY_PREFIX):
        return "admin", (await api.call(key, "GET", "/admin/v1/tenant"))["name"]
    await api.call(key, "GET", "/admin/v1/tenants", params={"count": "1"})
    return "operator", "Operator"


def _start(request: web.Request, role: Role, key: str, label: str) -> web.StreamResponse:
    session = request.app[keys.SESSIONS].start(role, key, label)
    response = web.HTTPSeeOther(HOME[role])
    settings = request.app[keys.SETTINGS]
    response.set_cookie(COOKIE, session.session_id, httponly=True, samesite="Strict", path="/",
                        secure=settings.secure_cookies, max_age=int(settings.portal_session_max_hours * 3600))
    response.del_cookie(SIGNIN_CSRF_COOKIE, path="/")
    return response


async def signout(request: web.Request) -> web.StreamResponse:
    if (session := request.get(keys.SESSION)) is not None:
        request.app[keys.SESSIONS].end(session.session_id)
    response = web.HTTPSeeOther("/signin?reason=signed-out")
    response.del_cookie(COOKIE, path="/")
    return response


async def setup_form(request: web.Request) -> web.Response:
    """The link's secret is in the URL's fragment, which browsers never send: a script posts it."""
    return await _form(request, "setup.html", {})


async def setup(request: web.Request) -> web.StreamResponse:
    link = str((await request.post()).get("setup_key", "")).strip().rpartition("#")[2]
    if not link.startswith(SETUP_KEY_PREFIX):
        return await _form(request, "setup.html", {"errors": {"setup_key": PASTE_THE_LINK}}, status=FORM_REFUSED)
    try:
        opened = await request.app[keys.API].call(link, "POST", "/admin/v1/setup/redeem")
    except ApiError as error:
        if error.status not in (401, 403):
            raise
        return await _form(request, "setup.html", {"errors": {"setup_key": error.detail}}, status=FORM_REFUSED)
    return _start(request, "setup", opened["session_key"], opened["tenant_name"])


async def _form(request: web.Request, template: str, context: dict, *, status: int = 200) -> web.Response:
    """A form shown before sign-in: its CSRF token is also set as a cookie (double submit)."""
    token = request.cookies.get(SIGNIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = await render(request, template, {**context, "csrf_token": token}, status=status)
    response.set_cookie(SIGNIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/",
                        secure=request.app[keys.SETTINGS].secure_cookies)
    return response
