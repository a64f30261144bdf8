"""Published documents: the admin API's OpenAPI, the Kafka interface's AsyncAPI (public: they describe,
they hold no secret)."""

import functools

from aiohttp import web

from contracts.asyncapi import asyncapi, render
from services.gateway import keys
from services.gateway.admin.openapi import admin_openapi


async def admin_api_document(request: web.Request) -> web.Response:
    return web.json_response(admin_openapi(request.app[keys.SETTINGS].public_url.rstrip("/")))


async def asyncapi_document(request: web.Request) -> web.Response:
    """The provisioning event stream and the command topics (contracts/asyncapi.py; committed as asyncapi.json)."""
    return web.Response(body=_asyncapi_json(), content_type="application/json")


@functools.cache
def _asyncapi_json() -> bytes:
    return render(asyncapi()).encode()
