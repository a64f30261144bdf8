"""What every response gets: security headers, the session, CSRF checks on every form, and errors in
words instead of tracebacks."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from services.portal import keys
from services.portal.api import ApiError
from services.portal.pages import render
from services.portal.sessions import COOKIE

log = logging.getLogger(__name__)

#: No inline script or style at all, nothing from elsewhere, never framed (clickjacking).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
                           "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
PUBLIC_PREFIXES = ("/signin", "/static/", "/setup", "/healthz")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
#: Before sign-in there is no session: the sign-in form's token is also in this cookie (double submit).
SIGNIN_CSRF_COOKIE = "scimflow_portal_signin"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers.update(SECURITY_HEADERS)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"  # pages may show a secret once: never cached
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def errors_in_words(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except ApiError as error:
        if error.status == 401 and request.get(keys.SESSION) is not None:
            return _signed_out(request, "Your key is no longer valid (revoked, removed or expired). Sign in again.")
        return await render(request, "error.html", {"status": error.status, "detail": error.detail},
                            status=error.status if error.status >= 400 else 500)
    except Exception:
        log.exception("portal page failed", extra={"path": request.path})
        return await render(request, "error.html", {"status": 500, "detail": "Something went wrong on our side."},
                            status=500)


@web.middleware
async def session_and_csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    session = request.app[keys.SESSIONS].find(request.cookies.get(COOKIE))
    request[keys.SESSION] = session
    public = request.path == "/healthz" or request.path.startswith(PUBLIC_PREFIXES)
    if session is None and not public:
        raise web.HTTPSeeOther("/signin")
    if request.method in UNSAFE_METHODS and not await _csrf_ok(request):
        return await render(request, "error.html", {
            "status": 403, "detail": "This form has expired or did not come from this portal. Go back, reload "
                                     "the page and try again."}, status=403)
    return await handler(request)


async def _csrf_ok(request: web.Request) -> bool:
    session = request.get(keys.SESSION)
    expected = session.csrf_token if session is not None else request.cookies.get(SIGNIN_CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER) or (await request.post()).get(CSRF_FIELD)
    if not expected or not isinstance(sent, str):
        return False
    return hmac.compare_digest(sent.encode(errors="replace"), expected.encode())


def _signed_out(request: web.Request, reason: str) -> web.Response:
    session = request.get(keys.SESSION)
    if session is not None:
        request.app[keys.SESSIONS].end(session.session_id)
    response = web.HTTPSeeOther("/signin?reason=expired")
    response.del_cookie(COOKIE)
    log.info("portal session ended: %s", reason)
    return response
