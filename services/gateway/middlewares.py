"""Every failure leaves as a SCIM Error body; every SCIM request carries a valid tenant token."""

from __future__ import annotations

import hmac
import logging
import uuid

import orjson
from aiohttp import web

from services.gateway import keys
from services.gateway.responses import scim_json
from services.gateway.scim.errors import from_remote, unavailable
from shared.scim.errors import ScimError
from services.gateway.tenants import TokenRejected
from shared.logging import correlation
from shared.messaging.requester import RemoteError, RequestTimeout

log = logging.getLogger(__name__)

SCIM_PREFIX = "/scim/v2"
ADMIN_PREFIX = "/admin/"
RETRY_AFTER_SECONDS = 5


def error_response(error: ScimError) -> web.Response:
    return scim_json(error.body(), status=error.status, headers=error.headers)


@web.middleware
async def errors_middleware(request: web.Request, handler) -> web.StreamResponse:
    with correlation(request.headers.get("X-Request-Id") or uuid.uuid4().hex):
        try:
            return await handler(request)
        except ScimError as error:
            return error_response(error)
        except RemoteError as error:
            return error_response(from_remote(error.code, error.detail))
        except RequestTimeout:
            log.warning("request timed out waiting for a service", extra={"path": request.path})
            return error_response(unavailable(RETRY_AFTER_SECONDS))
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(ScimError(exc.status, exc.reason))
        except Exception:
            log.exception("unhandled error", extra={"path": request.path})
            return error_response(ScimError(500, "Internal server error"))


def bearer(request: web.Request) -> str:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise ScimError(401, "Authorization: Bearer <token> is required",
                        headers={"WWW-Authenticate": 'Bearer realm="scimflow"'})
    return credentials.strip()


@web.middleware
async def auth_middleware(request: web.Request, handler) -> web.StreamResponse:
    if request.path.startswith(SCIM_PREFIX):
        _authenticate_tenant(request)
    elif request.path.startswith(ADMIN_PREFIX):
        _authenticate_operator(request)
    return await handler(request)


def _authenticate_tenant(request: web.Request) -> None:
    if not request.app[keys.READY].get("messaging"):
        raise unavailable(RETRY_AFTER_SECONDS)
    token = bearer(request)
    try:
        request[keys.TENANT_ID] = request.app[keys.TENANTS].verify(token).tenant_id
    except TokenRejected as rejected:
        raise ScimError(401, str(rejected), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _authenticate_operator(request: web.Request) -> None:
    if not hmac.compare_digest(bearer(request).encode(), request.app[keys.OPERATOR_KEY].encode()):
        raise ScimError(401, "The operator key is not valid")


async def read_json(request: web.Request) -> object:
    """The body as JSON whatever the Content-Type (Okta sends application/json, RFC says scim+json)."""
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise ScimError(400, "The request body is not valid JSON", "invalidSyntax") from None
