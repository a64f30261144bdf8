"""Application factory: the same function builds the production app and the test apps."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from services.gateway import keys, readiness
from services.gateway.admin.audit import audit_middleware
from services.gateway.http_metrics import metrics_middleware
from services.gateway.messaging import messaging_ctx
from services.gateway.middlewares import (
    auth_failures_middleware,
    auth_middleware,
    errors_middleware,
    scim_log_middleware,
    tracing_middleware,
)
from services.gateway.routes import setup_routes
from services.gateway.scim.bulk import MAX_PAYLOAD_SIZE
from services.gateway.scim.queries import MAX_FILTER_LENGTH
from services.gateway.scim_api.call_log import ScimCallLog
from services.gateway.settings import GatewaySettings
from services.gateway.tenancy import store as tenant_store
from services.gateway.tenancy.auth_failures import FailedAuthThrottle
from services.gateway.tenancy.ratelimit import RateLimiter
from shared.messaging.kafka import KafkaBus
from shared.messaging.transport import Bus
from shared.operator_key import operator_key
from shared.server_log import ServerLog

#: A GET's filter may be MAX_FILTER_LENGTH characters, each up to 12 bytes percent-encoded (4-byte UTF-8), plus
#: the other parameters; aiohttp's default line (8 190 bytes) cut it short with a plain-text 400.
MAX_REQUEST_LINE = 12 * MAX_FILTER_LENGTH + 8192
#: An admin API caller's full bucket holds this many seconds of its rate: a portal page's or a script's burst.
ADMIN_BURST_SECONDS = 10.0


def create_app(settings: GatewaySettings, *, bus: Bus | None = None,
               clock: keys.Clock | None = None) -> web.Application:
    # Room above /Bulk's maxPayloadSize, so that limit answers with its own clear 413.
    app = web.Application(middlewares=[tracing_middleware, metrics_middleware, scim_log_middleware,
                                       audit_middleware, errors_middleware, auth_failures_middleware,
                                       auth_middleware],
                          client_max_size=2 * MAX_PAYLOAD_SIZE,
                          handler_args={"max_line_size": MAX_REQUEST_LINE, "logger": ServerLog()})
    app[keys.SETTINGS] = settings
    app[keys.BUS] = bus or KafkaBus.configured(settings, client_id=f"gateway/{settings.instance_id}")
    tenant_store.install(app, clock or (lambda: datetime.now(UTC)))
    clock = app[keys.CLOCK]
    app[keys.ADMIN_RATE_LIMITER] = RateLimiter(settings.admin_rate_limit_per_second, ADMIN_BURST_SECONDS, clock)
    app[keys.AUTH_FAILURES] = FailedAuthThrottle(settings.auth_failures_per_minute, clock)
    configured = settings.operator_key.get_secret_value() if settings.operator_key else None
    app[keys.OPERATOR_KEY] = operator_key(configured, settings.data_dir)
    app[keys.READY] = {}
    app[keys.SCIM_LOG] = ScimCallLog(flush_seconds=settings.scim_log_flush_seconds,
                                     send_timeout=settings.request_timeout)
    readiness.install(app)  # its ops port opens before messaging starts
    app.cleanup_ctx.append(messaging_ctx)
    setup_routes(app)
    return app
