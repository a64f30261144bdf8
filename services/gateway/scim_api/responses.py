"""SCIM answers as RFC 7644 sends them: JSON as ``application/scim+json``."""

import orjson
from aiohttp import web

SCIM_CONTENT_TYPE = "application/scim+json"


def scim_json(body: object, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """RFC 7644 §3.1/§8.1: every SCIM body is ``application/scim+json``."""
    return web.Response(body=orjson.dumps(body), status=status, headers=headers,
                        content_type=SCIM_CONTENT_TYPE)
