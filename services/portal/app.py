"""Application factory of the portal: the same function builds the production app and the test apps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web

from services.portal import keys
from services.portal.api import AdminApi
from services.portal.filters import FILTERS
from services.portal.middlewares import errors_in_words, security_headers, session_and_csrf
from services.portal.routes import setup_routes
from services.portal.sessions import SessionStore, SignInThrottle
from services.portal.settings import PortalSettings
from services.portal.static import StaticFiles
from shared.server_log import ServerLog

TEMPLATES = Path(__file__).parent / "templates"


def create_app(settings: PortalSettings) -> web.Application:
    app = web.Application(middlewares=[security_headers, session_and_csrf, errors_in_words],
                          client_max_size=256 * 1024, handler_args={"logger": ServerLog()})
    app[keys.SETTINGS] = settings
    app[keys.SESSIONS] = SessionStore(settings.portal_session_idle_minutes * 60,
                                      settings.portal_session_max_hours * 3600)
    app[keys.THROTTLE] = SignInThrottle()
    app[keys.STATIC] = StaticFiles()
    environment = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    environment.filters.update(FILTERS)
    environment.globals["static"] = app[keys.STATIC].url
    app.cleanup_ctx.append(_api_client)
    setup_routes(app)
    return app


async def _api_client(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    timeout = aiohttp.ClientTimeout(total=settings.portal_api_timeout)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        app[keys.API] = AdminApi(session, settings.portal_api_url)
        yield
