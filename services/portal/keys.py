"""Typed application keys (aiohttp AppKey) and request keys of the portal."""

from __future__ import annotations

from aiohttp import web

from services.portal.api import AdminApi
from services.portal.sessions import Session, SessionStore, SignInThrottle
from services.portal.settings import PortalSettings
from services.portal.static import StaticFiles

SETTINGS = web.AppKey("settings", PortalSettings)
API = web.AppKey("api", AdminApi)
SESSIONS = web.AppKey("sessions", SessionStore)
THROTTLE = web.AppKey("throttle", SignInThrottle)
STATIC = web.AppKey("static", StaticFiles)

#: The signed-in session (None on public pages before sign-in).
SESSION: web.RequestKey[Session | None] = web.RequestKey("portal_session")


def session_of(request: web.Request) -> Session:
    session = request.get(SESSION)
    assert session is not None, "public pages have no session"
    return session
