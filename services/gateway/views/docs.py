"""Published documents: the admin API's OpenAPI (public: it describes, it holds no secret)."""

from aiohttp import web

from services.gateway import keys
from services.gateway.openapi import admin_openapi


async def admin_api_document(request: web.Request) -> web.Response:
    return web.json_response(admin_openapi(request.app[keys.SETTINGS].public_url.rstrip("/")))
