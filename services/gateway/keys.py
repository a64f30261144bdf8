"""Typed application and request keys."""

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from services.gateway.scim_api.call_log import ScimCallLog
from services.gateway.settings import GatewaySettings
from services.gateway.tenancy.activity import ActivityTracker
from services.gateway.tenancy.auth_failures import FailedAuthThrottle
from services.gateway.tenancy.directory import TenantDirectory
from services.gateway.tenancy.ratelimit import RateLimiter
from shared.messaging.requester import Requester
from shared.messaging.transport import Bus

Clock = Callable[[], datetime]

SETTINGS = web.AppKey("settings", GatewaySettings)
BUS = web.AppKey("bus", Bus)
REQUESTER = web.AppKey("requester", Requester)
TENANTS = web.AppKey("tenants", TenantDirectory)
OPERATOR_KEY = web.AppKey("operator_key", str)
READY = web.AppKey("ready", dict)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")  # wall clock, UTC; tests inject one instead of sleeping
ACTIVITY = web.AppKey("activity", ActivityTracker)
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
TENANT_LOCKS = web.AppKey("tenant_locks", dict)  # tenant id -> asyncio.Lock (admin changes)
SCIM_LOG = web.AppKey("scim_log", ScimCallLog)
ADMIN_RATE_LIMITER = web.AppKey("admin_rate_limiter", RateLimiter)  # per admin API caller (ACTOR)
AUTH_FAILURES = web.AppKey("auth_failures", FailedAuthThrottle)

TENANT_ID = web.RequestKey("tenant_id", str)  # set by the auth middleware
ADMIN_ID = web.RequestKey("admin_id", str)  # set by the auth middleware on /admin/v1/tenant
#: Who an admin API call authenticated as, for its rate and the audit line: "operator", "admin:<admin id>",
#: "setup_session:scs_<id>" or "setup_link:scl_<id>" (public ids only, never a secret).
ACTOR = web.RequestKey("actor", str)
#: Whose SCIM call log a call joins: set once its token is known to be the tenant's, even when the call is
#: then refused (token expired or revoked, over the rate, managing users off).
CALLER_TENANT = web.RequestKey("caller_tenant", str)
