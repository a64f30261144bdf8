"""Every HTTP request counted by route template, method and status, with its latency (shared/metrics/http.py).

Outermost middleware, so the status is the one the client got (errors_middleware has turned failures into
answers by then). The route is the template the router matched, never the raw path: ids, filters and
made-up paths would each be a label of their own. Every path no route matches is one label, ``unmatched``.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import hdrs, web

from shared.metrics.http import observe_request

UNMATCHED = "unmatched"
OTHER_METHOD = "other"
#: What a request the client gave up on (it disconnected) counts as: nginx's convention, no HTTP status.
CLIENT_GONE = 499


@web.middleware
async def metrics_middleware(request: web.Request, handler) -> web.StreamResponse:
    started, status = time.perf_counter(), 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:  # a redirect, or an answer nothing turned into a response
        status = exc.status
        raise
    except asyncio.CancelledError:
        status = CLIENT_GONE
        raise
    finally:
        observe_request(route_template(request), method_label(request.method), status,
                        time.perf_counter() - started)


def route_template(request: web.Request) -> str:
    """The matched route's template: ``/scim/v2/users/{id}``. SCIM segments match in any case (routes.py),
    so the one matched is lower-cased: one label per resource type; a trailing slash (Entra's) is dropped."""
    resource = request.match_info.route.resource
    if resource is None:  # the router's own 404 or 405
        return UNMATCHED
    template = resource.canonical
    if (resource_type := request.match_info.get("_type")) is not None:
        template = template.replace("{_type}", resource_type.lower())
    return template.rstrip("/") or "/"


def method_label(method: str) -> str:
    """aiohttp takes any token as a method; only the standard ones get a label of their own."""
    return method if method in hdrs.METH_ALL else OTHER_METHOD
