"""Every route of the gateway, one line each.

SCIM resource-type segments match case-insensitively (``/users`` works): some clients lower-case
URLs, and RFC 7644 gives them no reason to think the path is case-sensitive.
"""

from aiohttp import web

from services.gateway.views import admin, bulk, discovery, groups, health, search, users
from services.gateway.views import admin_tenant as tenant_admin

SCIM = "/scim/v2"


def scim(segment: str, rest: str = "") -> str:
    """``/scim/v2/<segment>`` matching the segment in any case (a regex segment in aiohttp's router)."""
    return f"{SCIM}/{{_type:(?i:{segment.replace('.', '[.]')})}}{rest}"


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.health)
    app.router.add_post("/admin/v1/tenants", admin.create_tenant)
    app.router.add_get("/admin/v1/tenants/{tenant_id}", admin.show_tenant)
    app.router.add_post("/admin/v1/tenants/{tenant_id}/admins", admin.add_admin)
    app.router.add_put("/admin/v1/tenants/{tenant_id}/rate-limit", admin.set_rate_limit)
    app.router.add_get("/admin/v1/tenant", tenant_admin.show_tenant)
    app.router.add_post("/admin/v1/tenant/token", tenant_admin.create_token)
    app.router.add_get("/admin/v1/tenant/token", tenant_admin.show_token)
    app.router.add_delete("/admin/v1/tenant/token", tenant_admin.delete_token)
    app.router.add_get("/admin/v1/tenant/connection", tenant_admin.show_connection)
    app.router.add_put("/admin/v1/tenant/connection", tenant_admin.change_connection)
    app.router.add_get("/admin/v1/tenant/policies", tenant_admin.show_policies)
    app.router.add_put("/admin/v1/tenant/policies", tenant_admin.change_policies)
    app.router.add_get("/admin/v1/tenant/admins", tenant_admin.list_admins)
    app.router.add_get("/admin/v1/tenant/admins/{admin_id}", tenant_admin.show_admin)
    app.router.add_delete("/admin/v1/tenant/admins/{admin_id}", tenant_admin.remove_admin)
    for name, resource in (("Users", users.views), ("Groups", groups.views)):
        app.router.add_post(scim(name), resource.create)
        app.router.add_get(scim(name), resource.list)
        app.router.add_post(scim(name, "/.search"), resource.search)
        app.router.add_get(scim(name, "/{id}"), resource.get)
        app.router.add_put(scim(name, "/{id}"), resource.replace)
        app.router.add_patch(scim(name, "/{id}"), resource.patch)
        app.router.add_delete(scim(name, "/{id}"), resource.delete)
    app.router.add_post(f"{SCIM}/.search", search.search_all)
    app.router.add_get(scim("ServiceProviderConfig"), discovery.service_provider_config)
    app.router.add_get(scim("Schemas"), discovery.list_schemas)
    app.router.add_get(scim("Schemas", "/{urn}"), discovery.get_schema)
    app.router.add_get(scim("ResourceTypes"), discovery.list_resource_types)
    app.router.add_get(scim("ResourceTypes", "/{name}"), discovery.get_resource_type)
    app.router.add_route("*", scim("Me"), discovery.me)
    app.router.add_post(scim("Bulk"), bulk.bulk)
