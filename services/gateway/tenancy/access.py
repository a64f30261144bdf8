"""Who may call what: a tenant's API token on /scim/v2, an admin's key on /admin/v1/tenant, the
operator key on the rest of /admin. Everything here is refused before anything is published.

The order of the SCIM checks matters: a bad token is 401 before anything else; a tenant over its
rate gets 429 before the call counts as use; a write while "Manage users through IdP" is off gets
403 after the call counted as a connection, so an admin can still test credentials with reads.
An admin API call, once its caller is known (the ACTOR), takes a call from that caller's own rate.
Failed authentication is throttled before any of this (auth_failures.py, in the middlewares).
"""

from __future__ import annotations

import hmac

from aiohttp import web

from contracts.tenants.v2 import TenantRecord
from services.gateway import keys
from services.gateway.scim.errors import unavailable
from services.gateway.tenancy.credentials import (
    SETUP_LINK_PREFIX,
    SETUP_SESSION_PREFIX,
    public_prefix,
    split,
)
from services.gateway.tenancy.directory import TokenRejected
from services.gateway.tenancy.rules import manages_users
from services.gateway.tenancy.store import connected
from shared.scim.errors import ScimError

TENANT_ADMIN_PATH = "/admin/v1/tenant"
#: The setup link itself is the credential here, and redeeming spends it.
SETUP_REDEEM_PATH = "/admin/v1/setup/redeem"
#: What the session a setup link opens may call: the IdP setup screen (tenant, SCIM token, connection,
#: the SCIM request log and the sync summary to see the IdP's first calls land), and nothing else: never
#: webhooks or the events API, which hand the tenant's users to another system (an admin's key only).
SETUP_SCREEN_ROUTES = frozenset({
    ("GET", TENANT_ADMIN_PATH),
    *((method, f"{TENANT_ADMIN_PATH}/token") for method in ("GET", "POST", "DELETE")),
    *((method, f"{TENANT_ADMIN_PATH}/connection") for method in ("GET", "PUT")),
    ("GET", f"{TENANT_ADMIN_PATH}/scim-log"),
    ("GET", f"{TENANT_ADMIN_PATH}/sync/summary"),
})
SETUP_SCREEN_ONLY = "A setup link opens the IdP setup screen only"
OPERATOR = "operator"
MANAGE_USERS_OFF = ("'Manage users through IdP' is turned off for this tenant, so SCIM changes are refused; "
                    "reads still work. An admin can turn it on in the admin portal.")


def bearer(request: web.Request) -> str:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise ScimError(401, "Authorization: Bearer <token> is required",
                        headers={"WWW-Authenticate": 'Bearer realm="scimflow"'})
    try:
        credentials.encode()
    except UnicodeEncodeError:  # bytes that are not UTF-8 reach us as lone surrogates (aiohttp's surrogateescape)
        raise ScimError(401, "The bearer token is not valid",
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
    return credentials.strip()


def require_ready(app: web.Application) -> None:
    """Before the tenant directory is loaded every token would look unknown: answer 503, not 401."""
    if not app[keys.READY].get("messaging"):
        raise unavailable()


def admit_scim_call(request: web.Request) -> None:
    app = request.app
    require_ready(app)
    record = _verify_token(request, bearer(request))
    request[keys.CALLER_TENANT] = record.tenant_id
    _within_rate(app, record)
    app[keys.ACTIVITY].touch(record)  # the first successful call turns managing users on
    if _is_write(request) and not manages_users(record, connected(app, record.tenant_id)):
        raise ScimError(403, MANAGE_USERS_OFF)
    request[keys.TENANT_ID] = record.tenant_id


def _verify_token(request: web.Request, token: str) -> TenantRecord:
    try:
        return request.app[keys.TENANTS].verify_token(token, request.app[keys.CLOCK]())
    except TokenRejected as rejected:
        if rejected.tenant_id is not None:  # their own token, expired or revoked: their admin must see why
            request[keys.CALLER_TENANT] = rejected.tenant_id
        raise ScimError(401, str(rejected), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


def _within_rate(app: web.Application, record: TenantRecord) -> None:
    retry_after = app[keys.RATE_LIMITER].acquire(record.tenant_id, record.rate_limit_per_second)
    if retry_after:
        raise ScimError(429, f"Too many requests for this tenant; retry in {retry_after} s",
                        headers={"Retry-After": str(retry_after)})


def admit_bulk_operations(request: web.Request, operations: int) -> None:
    """A Bulk's operations count against the tenant's rate as that many calls (its own call took one at the
    door): 429 + Retry-After before any of them runs, when the bucket holds too few."""
    app, tenant_id = request.app, request[keys.TENANT_ID]
    record, limiter = app[keys.TENANTS].get(tenant_id), app[keys.RATE_LIMITER]
    rate = record.rate_limit_per_second if record is not None else None
    if not (retry_after := limiter.acquire(tenant_id, rate, cost=max(1, operations), paid=1)):
        return
    detail = (f"This Bulk's {operations} operations count as {operations} calls against this tenant's rate "
              f"({rate or limiter.per_second:g} per second); retry in {retry_after} s")
    if operations > (capacity := limiter.capacity(rate)):
        detail += (f". A Bulk larger than the {capacity:g} calls the rate allows at once runs once none are "
                   "used, and the tenant's next calls wait until the rate has paid for all its operations")
    raise ScimError(429, detail, headers={"Retry-After": str(retry_after)})


def _is_write(request: web.Request) -> bool:
    """Every SCIM method but GET, except the POSTs that only search (RFC 7644 §3.4.3)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    return not (request.method == "POST" and request.path.rstrip("/").endswith("/.search"))  # /.search/ too


def operator_route(path: str) -> bool:
    """Every /admin path but a tenant admin's and the setup link's takes the operator key."""
    tenant_admin = path == TENANT_ADMIN_PATH or path.startswith(TENANT_ADMIN_PATH + "/")
    return path.startswith("/admin/") and not tenant_admin and path != SETUP_REDEEM_PATH


def authenticate_admin(request: web.Request) -> None:
    require_ready(request.app)
    if operator_route(request.path):
        if not hmac.compare_digest(bearer(request).encode(), request.app[keys.OPERATOR_KEY].encode()):
            raise ScimError(401, "The operator key is not valid")
        request[keys.ACTOR] = OPERATOR
    elif request.path == SETUP_REDEEM_PATH:
        _find_setup_link(request)
    else:
        _authenticate_tenant_admin(request)
    _within_admin_rate(request)


def _within_admin_rate(request: web.Request) -> None:
    """Each caller its own bucket, so one busy script slows only itself (the portal's users each have a key)."""
    retry_after = request.app[keys.ADMIN_RATE_LIMITER].acquire(request[keys.ACTOR])
    if retry_after:
        raise ScimError(429, f"Too many admin API calls; retry in {retry_after} s",
                        headers={"Retry-After": str(retry_after)})


def _authenticate_tenant_admin(request: web.Request) -> None:
    """An admin key names its tenant: the admin sees that tenant only, with no tenant id to forge."""
    key = bearer(request)
    if key.startswith(SETUP_SESSION_PREFIX + "_"):
        _authenticate_setup_session(request, key)
        return
    try:
        record, admin = request.app[keys.TENANTS].verify_admin(key)
    except TokenRejected as rejected:
        raise ScimError(401, str(rejected)) from None
    request[keys.TENANT_ID], request[keys.ADMIN_ID] = record.tenant_id, admin.admin_id
    request[keys.ACTOR] = f"admin:{admin.admin_id}"


def _authenticate_setup_session(request: web.Request, key: str) -> None:
    """A setup link's session acts for its tenant on the IdP setup screen's routes only (no admin id: none
    of those routes is an admin's own, like notifications)."""
    try:
        record = request.app[keys.TENANTS].verify_setup_session(key, request.app[keys.CLOCK]())
    except TokenRejected as rejected:
        raise ScimError(401, str(rejected)) from None
    assert record.setup_link is not None and record.setup_link.session_id is not None  # it verified
    request[keys.ACTOR] = f"setup_session:{public_prefix(SETUP_SESSION_PREFIX, record.setup_link.session_id)}"
    request[keys.TENANT_ID] = record.tenant_id
    if not on_setup_screen(request.method, request.path):
        raise ScimError(403, SETUP_SCREEN_ONLY)


def on_setup_screen(method: str, path: str) -> bool:
    return (method, path) in SETUP_SCREEN_ROUTES


def _find_setup_link(request: web.Request) -> None:
    """Which tenant's link this is; the redeem view checks its secret, expiry and first use as it spends it."""
    key = bearer(request)
    try:
        request[keys.TENANT_ID] = request.app[keys.TENANTS].setup_link_tenant(key)
    except TokenRejected as rejected:
        raise ScimError(401, str(rejected)) from None
    link_id, _ = split(key, SETUP_LINK_PREFIX) or ("", "")  # found: it is one
    request[keys.ACTOR] = f"setup_link:{public_prefix(SETUP_LINK_PREFIX, link_id)}"
