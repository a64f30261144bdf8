"""JSON Schemas of the admin API's main answers, for /openapi/admin.json (routes.py names one per route).

The views build their answers as dicts (bodies.py); these schemas say what a client may count on.
The admin API's fuzz test (tests/services/gateway/test_fuzz.py) checks every answer it provokes
against them, so they cannot drift silently. Objects stay open: a new field is no break.
"""

from __future__ import annotations

from typing import Any, get_args

from contracts.tenants.v2 import IdpType

Schema = dict[str, Any]


def _object(**properties: Schema) -> Schema:
    return {"type": "object", "required": sorted(properties), "properties": properties}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _or_null(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


_TEXT: Schema = {"type": "string"}
_TIME: Schema = {"type": "string", "format": "date-time"}
_COUNT: Schema = {"type": "integer", "minimum": 0}
_FLAG: Schema = {"type": "boolean"}
_IDP_TYPE = _or_null({"enum": list(get_args(IdpType))})

_TOKEN = {"prefix": _TEXT, "created": _TIME, "expires_at": _TIME, "last_used_at": _or_null(_TIME),
          "status": {"enum": ["active", "expired"]}}
_ADMIN = {"admin_id": _TEXT, "name": _TEXT, "email": _TEXT, "created": _TIME, "key_prefix": _TEXT}
_TEXTS: Schema = {"type": "array", "items": _TEXT}
#: contracts/webhooks/v1.py's Endpoint and DeliveryAttempt, as the webhooks service answers them.
_WEBHOOK_ENDPOINT = _object(id=_TEXT, url=_TEXT, description=_TEXT, event_types=_TEXTS, enabled=_FLAG,
                            disabled_reason=_or_null(_TEXT), created=_TIME, failing_since=_or_null(_TIME),
                            secret_prefix=_TEXT)
_DELIVERY_ATTEMPT = _object(event_id=_TEXT, event_type=_TEXT, attempt={"type": "integer", "minimum": 1}, time=_TIME,
                            status_code=_or_null({"type": "integer"}), latency_ms=_COUNT, succeeded=_FLAG,
                            error=_or_null(_TEXT))
#: A CloudEvent's context attributes (contracts/events/v1.py); data and extensions vary by type.
_CLOUD_EVENT = _object(specversion=_TEXT, id=_TEXT, source=_TEXT, type=_TEXT, subject=_TEXT, time=_TIME,
                       tenantid=_TEXT)

ANSWERS: dict[str, Schema] = {
    "Error": _object(status={"type": "string", "pattern": "^[45][0-9]{2}$"}, detail=_TEXT),
    "Token": _object(**_TOKEN),
    "NewTokenAnswer": _object(token=_TEXT, **_TOKEN),
    "Admin": _object(**_ADMIN),
    "NewAdminAnswer": _object(admin_key=_TEXT, **_ADMIN),
    "Admins": _object(admins={"type": "array", "items": _ref("Admin")}),
    "Connection": _object(idp_type=_IDP_TYPE, scim_base_url=_TEXT,
                          manage_users_through_idp=_FLAG, set_by_admin=_FLAG, first_connected_at=_or_null(_TIME),
                          sso_enabled=_FLAG),
    "Policies": _object(accept_email_changes=_FLAG),
    "Tenant": _object(tenant_id=_TEXT, name=_TEXT, created=_TIME, scim_base_url=_TEXT, token=_or_null(_ref("Token")),
                      connection=_ref("Connection"), policies=_ref("Policies"),
                      admins={"type": "array", "items": _ref("Admin")},
                      rate_limit_per_second={"type": "number", "exclusiveMinimum": 0}),
    "NewTenantAnswer": _object(tenant_id=_TEXT, name=_TEXT, scim_base_url=_TEXT, token=_TEXT, token_expires_at=_TIME),
    "TenantRow": _object(tenant_id=_TEXT, name=_TEXT, created=_TIME, idp_type=_IDP_TYPE,
                         token_status={"enum": ["active", "expired", "none"]}, token_expires_at=_or_null(_TIME),
                         admins=_COUNT, manage_users_through_idp=_FLAG, last_scim_call=_or_null(_TIME)),
    "TenantPage": _object(total_results=_COUNT, start_index={"type": "integer", "minimum": 1},
                          items_per_page=_COUNT, items={"type": "array", "items": _ref("TenantRow")}),
    "RateLimitAnswer": _object(requests_per_second={"type": "number", "exclusiveMinimum": 0}),
    "SetupLink": _object(prefix=_or_null(_TEXT), created=_or_null(_TIME), expires_at=_or_null(_TIME),
                         status={"enum": ["active", "expired", "used", "none"]}, redeemed_at=_or_null(_TIME)),
    "NewSetupLinkAnswer": _object(setup_key=_TEXT, created=_TIME, expires_at=_TIME),
    "SetupSession": _object(session_key=_TEXT, expires_at=_TIME, tenant_id=_TEXT, tenant_name=_TEXT),
    "WebhookEndpoint": _WEBHOOK_ENDPOINT,
    "WebhookEndpoints": _object(endpoints={"type": "array", "items": _ref("WebhookEndpoint")}),
    "NewWebhookEndpointAnswer": _object(endpoint=_ref("WebhookEndpoint"),
                                        secret={"type": "string", "pattern": "^whsec_"}),
    "WebhookDeliveryAttempt": _DELIVERY_ATTEMPT,
    "WebhookDeliveryPage": _object(total_results=_COUNT, pending=_COUNT,
                                   attempts={"type": "array", "items": _ref("WebhookDeliveryAttempt")}),
    "ReplayQueuedAnswer": _object(queued=_COUNT),
    "CloudEvent": _CLOUD_EVENT,
    "EventPage": _object(events={"type": "array", "items": _ref("CloudEvent")}, next_cursor=_TEXT),
}
