"""Every admin API route once: registered from this table, and documented from it (OpenAPI).

Operator routes take the operator key; tenant-admin routes (under /admin/v1/tenant) an admin's key
(or, on the IdP setup screen's few, the session a setup link opened); the redeem route the link.
The summary and the request body model here are what /openapi/admin.json publishes, so the document
cannot drift from what the gateway serves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from pydantic import BaseModel

from services.gateway.admin import (
    notifications,
    operator,
    scim_log,
    seats,
    setup_links,
    sync,
    tenant,
    users,
    webhooks,
)
from services.gateway.admin.bodies import (
    ConnectionChange,
    NewAdmin,
    NewProduct,
    NewSetupLink,
    NewSubscriptionSet,
    NewTenant,
    NewToken,
    NewWebhookEndpoint,
    NotificationsRead,
    PolicyChange,
    ProductChange,
    RateLimit,
    SubscriptionSetChange,
    UserSettingsChange,
    WebhookEndpointChange,
    WebhookReplay,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class AdminRoute:
    method: str
    path: str
    handler: Handler
    summary: str
    caller: Literal["operator", "admin", "setup_link"]
    body: type[BaseModel] | None = None
    status: int = 200
    #: The name of its answer's schema in answer_schemas.ANSWERS (None: documented as any object).
    answer: str | None = None
    #: The query parameters it reads: its view's own table of them.
    query: tuple[str, ...] = ()


def _operator(method: str, path: str, handler: Handler, summary: str, **extra) -> AdminRoute:
    return AdminRoute(method, f"/admin/v1/tenants{path}", handler, summary, "operator", **extra)


def _admin(method: str, path: str, handler: Handler, summary: str, **extra) -> AdminRoute:
    return AdminRoute(method, f"/admin/v1/tenant{path}", handler, summary, "admin", **extra)


def _setup_link_routes(route: Callable[..., AdminRoute], tenant: str) -> tuple[AdminRoute, ...]:
    """The same three calls for the operator (any tenant's link) and an admin (their own tenant's)."""
    path = f"{tenant}/setup-link"
    return (
        route("POST", path, setup_links.create_setup_link, "A one-time link to the IdP setup screen (1-30 days, "
              "default 3), shown once; replaces the last one", body=NewSetupLink, status=201,
              answer="NewSetupLinkAnswer"),
        route("GET", path, setup_links.show_setup_link,
              "The setup link's prefix, created, expires, status (active, expired, used, none), redeemed",
              answer="SetupLink"),
        route("DELETE", path, setup_links.delete_setup_link, "Revoke the setup link, and end the session it opened",
              status=204),
    )


def _webhook_routes() -> tuple[AdminRoute, ...]:
    """Webhook endpoints and the events API: an admin's key only, never a setup link's session."""
    one = "/webhooks/{endpoint_id}"
    return (
        _admin("POST", "/webhooks", webhooks.create_endpoint,
               "Add a webhook endpoint (an https URL; no event_types: every type); its signing secret (whsec_...) "
               "is shown once", body=NewWebhookEndpoint, status=201, answer="NewWebhookEndpointAnswer"),
        _admin("GET", "/webhooks", webhooks.list_endpoints, "Your webhook endpoints",
               answer="WebhookEndpoints"),
        _admin("GET", one, webhooks.show_endpoint,
               "One webhook endpoint: URL, event types, enabled (or why not), failing since, secret prefix",
               answer="WebhookEndpoint"),
        _admin("PATCH", one, webhooks.change_endpoint,
               "Change an endpoint; enabling it resumes deliveries from its oldest event not delivered",
               body=WebhookEndpointChange, answer="WebhookEndpoint"),
        _admin("DELETE", one, webhooks.delete_endpoint, "Delete a webhook endpoint", status=204),
        _admin("GET", f"{one}/deliveries", webhooks.list_deliveries,
               "An endpoint's delivery attempts, newest first, and the events waiting for it: "
               "?outcome=failed|succeeded, ?startIndex=, ?count= (default 50, max 200)",
               answer="WebhookDeliveryPage", query=tuple(webhooks.DELIVERY_PARAMETERS)),
        _admin("POST", f"{one}/replay", webhooks.replay_events,
               "Deliver again, to this endpoint, the events since an RFC 3339 moment or these event ids "
               "(exactly one of since, event_ids)", body=WebhookReplay, status=202, answer="ReplayQueuedAnswer"),
        _admin("GET", "/events", webhooks.list_events,
               "Your tenant's events (CloudEvents) in the order they were received: ?after=<next_cursor>, "
               "?types= (comma separated), ?limit= (default 100, max 500); next_cursor asks for what comes later",
               answer="EventPage", query=tuple(webhooks.EVENT_PARAMETERS)),
    )


ADMIN_ROUTES: tuple[AdminRoute, ...] = (
    _operator("POST", "", operator.create_tenant, "Create a tenant and its first SCIM token (shown once)",
              body=NewTenant, status=201, answer="NewTenantAnswer"),
    _operator("GET", "", operator.list_tenants,
              "Every tenant by name, in brief: ?search= (part of the name, or the tenant id), ?startIndex=, ?count=",
              answer="TenantPage", query=tuple(operator.LIST_PARAMETERS)),
    _operator("GET", "/{tenant_id}", operator.show_tenant, "A tenant as its admins see it", answer="Tenant"),
    _operator("POST", "/{tenant_id}/admins", operator.add_admin, "Add an admin; their admin key is shown once",
              body=NewAdmin, status=201, answer="NewAdminAnswer"),
    _operator("PUT", "/{tenant_id}/rate-limit", operator.set_rate_limit, "Set the tenant's SCIM rate (null: default)",
              body=RateLimit, answer="RateLimitAnswer"),
    _operator("POST", "/{tenant_id}/products", seats.subscribe_product,
              "Subscribe the tenant to a product: seat count and expiry", body=NewProduct, status=201),
    _operator("PATCH", "/{tenant_id}/products/{product}", seats.change_product,
              "Change a product's seat count (not below the seats in use) or expiry", body=ProductChange),
    _operator("GET", "/{tenant_id}/products", seats.operator_seat_summary,
              "The tenant's products: total, used and free seats, expiry"),
    *_setup_link_routes(_operator, "/{tenant_id}"),
    _admin("GET", "", tenant.show_tenant, "Your tenant: token metadata, connection, policies, admins",
           answer="Tenant"),
    _admin("POST", "/token", tenant.create_token,
           "Generate the SCIM token (90, 180 or 365 days), shown once; replace: true revokes the old one",
           body=NewToken, status=201, answer="NewTokenAnswer"),
    _admin("GET", "/token", tenant.show_token, "Token prefix, created, expires, last used, status",
           answer="Token"),
    _admin("DELETE", "/token", tenant.delete_token, "Delete the token: provisioning stops until a new one",
           status=204),
    _admin("GET", "/connection", tenant.show_connection, "IdP type, Manage users through IdP, SSO",
           answer="Connection"),
    _admin("PUT", "/connection", tenant.change_connection,
           "Change the connection; disabling goes: managing users off, then the SSO reset", body=ConnectionChange,
           answer="Connection"),
    _admin("GET", "/policies", tenant.show_policies, "Tenant policies (accept email changes)",
           answer="Policies"),
    _admin("PUT", "/policies", tenant.change_policies, "Change tenant policies", body=PolicyChange,
           answer="Policies"),
    _admin("GET", "/admins", tenant.list_admins, "Your tenant's admins", answer="Admins"),
    _admin("GET", "/admins/{admin_id}", tenant.show_admin, "One admin of your tenant", answer="Admin"),
    _admin("DELETE", "/admins/{admin_id}", tenant.remove_admin, "Remove an admin of your tenant", status=204),
    _admin("GET", "/products", seats.seat_summary, "Your products: total, used and free seats, expiry"),
    _admin("GET", "/subscription-sets", seats.list_sets,
           "Subscription sets: products, admin role, members, Created, Modified, Last Synced"),
    _admin("POST", "/subscription-sets", seats.create_set,
           "Create a subscription set: the IdP group of exactly this name gives its members the set's products",
           body=NewSubscriptionSet, status=201),
    _admin("GET", "/subscription-sets/{name}", seats.show_set, "One subscription set"),
    _admin("PATCH", "/subscription-sets/{name}", seats.change_set,
           "Rename or change a set; new products move every member's seats", body=SubscriptionSetChange),
    _admin("DELETE", "/subscription-sets/{name}", seats.delete_set,
           "Delete a set: its members free the seats it gave them"),
    _admin("GET", "/sync/users", sync.list_statuses,
           "Every user's provisioning status, newest first: ?status=failed|synced|pending|deleted, ?product=, "
           "?set=, ?search= (part of the userName or email, any case), ?startIndex=, ?count=",
           query=tuple(sync.LIST_PARAMETERS)),
    _admin("GET", "/sync/users/{user_name}/history", sync.user_history,
           "One user's provisioning history (what the IdP asked, what was decided, why), newest first"),
    _admin("GET", "/users/{user_id}", users.show_user,
           "One user: names, emails, seat state, role, credits, products"),
    _admin("PATCH", "/users/{user_id}", users.change_user,
           "Change a user's role, credits or products (seats all or nothing; 400 with the reason)",
           body=UserSettingsChange),
    _admin("GET", "/sync/summary", sync.summary,
           "Users by status, the last successful provisioning and SCIM call, each set's Last Synced"),
    _admin("GET", "/scim-log", scim_log.list_scim_calls,
           "Your IdP's recent SCIM calls, newest first: time, method, path, status, the error's detail "
           "(never a body or a secret): ?outcome=failed|succeeded, ?startIndex=, ?count= (default 50, max 200)",
           query=tuple(scim_log.LIST_PARAMETERS)),
    _admin("GET", "/notifications", notifications.list_notifications,
           "Your in-app notifications, newest first, with the unread count: ?unread=true, ?startIndex=, ?count=",
           query=tuple(notifications.LIST_PARAMETERS)),
    _admin("POST", "/notifications/read", notifications.mark_read,
           "Mark some of your notifications read", body=NotificationsRead),
    *_setup_link_routes(_admin, ""),
    *_webhook_routes(),
    AdminRoute("POST", "/admin/v1/setup/redeem", setup_links.redeem_setup_link,
               "Open a setup link (Bearer scl_..., once): a session key for the IdP setup screen, 8 hours",
               "setup_link", answer="SetupSession"),
)


def add_admin_routes(router: web.UrlDispatcher) -> None:
    for route in ADMIN_ROUTES:
        router.add_route(route.method, route.path, route.handler)
