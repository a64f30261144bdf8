"""Every failure leaves as an error body (SCIM Error on /scim/v2); every request is authenticated."""

from __future__ import annotations

import logging
import time
import uuid

import orjson
from aiohttp import web

from services.gateway import keys
from services.gateway.http_metrics import route_template
from services.gateway.scim.errors import from_remote, unavailable
from services.gateway.scim_api.responses import scim_json
from services.gateway.tenancy.access import (
    admit_scim_call,
    authenticate_admin,
    operator_route,
)
from services.gateway.tenancy.auth_failures import credential_of
from shared.log_limits import MAY_FLOOD
from shared.logging import correlation
from shared.messaging.requester import RemoteError, RequestTimeout
from shared.scim.errors import ScimError
from shared.tracing import http_server_span, set_status_code

log = logging.getLogger(__name__)

SCIM_PREFIX = "/scim/v2"
ADMIN_PREFIX = "/admin/"
#: A client's X-Request-Id travels in every message the request sends: a longer one is cut.
REQUEST_ID_MAX_CHARS = 128


def error_response(error: ScimError, request: web.Request) -> web.Response:
    if request.path.startswith(ADMIN_PREFIX):
        # The admin API is not SCIM: plain JSON, with the same status/detail pair as a SCIM Error.
        return web.json_response({"status": str(error.status), "detail": error.detail},
                                 status=error.status, headers=error.headers)
    return scim_json(error.body(), status=error.status, headers=error.headers)


@web.middleware
async def tracing_middleware(request: web.Request, handler) -> web.StreamResponse:
    """The request's span (shared/tracing.py; nothing when tracing is off), around every other middleware."""
    with http_server_span(request.method, route_template(request), request.headers) as span:
        response = await handler(request)
        set_status_code(span, response.status)
        return response


@web.middleware
async def errors_middleware(request: web.Request, handler) -> web.StreamResponse:
    request_id = (header_text(request, "X-Request-Id") or "")[:REQUEST_ID_MAX_CHARS] or uuid.uuid4().hex
    with correlation(request_id):
        try:
            return await handler(request)
        except ScimError as error:
            return error_response(error, request)
        except RemoteError as error:
            return error_response(from_remote(error.code, error.detail), request)
        except RequestTimeout:
            log.warning("request timed out waiting for a service", extra={"path": request.path, MAY_FLOOD: True})
            return error_response(unavailable(), request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(ScimError(exc.status, exc.reason), request)
        except Exception:
            log.exception("unhandled error", extra={"path": request.path})
            return error_response(ScimError(500, "Internal server error"), request)


@web.middleware
async def scim_log_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Outermost: each SCIM call with the status and Error its client got, into its tenant's call log
    (scim_api/call_log.py). A call whose token names no tenant is nobody's to show, and is not recorded."""
    if not request.path.startswith(SCIM_PREFIX):
        return await handler(request)
    app, started = request.app, time.perf_counter()
    at = app[keys.CLOCK]()
    response = await handler(request)
    if (tenant_id := request.get(keys.CALLER_TENANT)) is not None:
        error = response.body if response.status >= 400 and isinstance(response, web.Response) else None
        app[keys.SCIM_LOG].record(tenant_id, at, request.method, request.raw_path, response.status,
                                  error if isinstance(error, bytes) else None,
                                  round((time.perf_counter() - started) * 1000))
    return response


@web.middleware
async def auth_failures_middleware(request: web.Request, handler) -> web.StreamResponse:
    """A credential that failed a few times this minute gets 429, unchecked (tenancy/auth_failures.py); a 401 counts,
    unless the token was the tenant's own (expired, revoked: no guess)."""
    path = request.path
    if not path.startswith((SCIM_PREFIX, ADMIN_PREFIX)):
        return await handler(request)
    credential = credential_of(request.headers.get("Authorization", ""), operator_route(path))
    if credential is None:
        return await handler(request)
    throttle = request.app[keys.AUTH_FAILURES]
    if retry_after := throttle.retry_after(credential):
        raise ScimError(429, f"Too many failed authentications with this credential; retry in {retry_after} s",
                        headers={"Retry-After": str(retry_after)})
    try:
        return await handler(request)
    except ScimError as error:
        if error.status == 401 and request.get(keys.CALLER_TENANT) is None:
            throttle.failed(credential)
        raise


@web.middleware
async def auth_middleware(request: web.Request, handler) -> web.StreamResponse:
    """The checks themselves live in tenancy/access.py; this only says which applies where."""
    if request.path.startswith(SCIM_PREFIX):
        admit_scim_call(request)
    elif request.path.startswith(ADMIN_PREFIX):
        authenticate_admin(request)
    return await handler(request)


def header_text(request: web.Request, name: str) -> str | None:
    """A header's value with each byte that is not UTF-8 as U+FFFD. aiohttp hands such bytes (RFC 9110's
    obs-text) on as lone surrogates, which no command body or log line can carry: a 500 before this."""
    value = request.headers.get(name)
    if value is None or value.isascii():
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


async def read_json(request: web.Request) -> object:
    """The body as JSON whatever the Content-Type (Okta sends application/json, RFC says scim+json)."""
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise ScimError(400, "The request body is not valid JSON", "invalidSyntax") from None
