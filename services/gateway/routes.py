"""Every route of the gateway, one line each."""

from aiohttp import web

from services.gateway.views import admin, health, users
from services.gateway.views import discovery


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.health)
    app.router.add_post("/admin/v1/tenants", admin.create_tenant)
    app.router.add_post("/scim/v2/Users", users.create_user)
    app.router.add_get("/scim/v2/Users", users.list_users)
    app.router.add_get("/scim/v2/Users/{id}", users.get_user)
    app.router.add_get("/scim/v2/ServiceProviderConfig", discovery.service_provider_config)
    app.router.add_get("/scim/v2/Schemas", discovery.list_schemas)
    app.router.add_get("/scim/v2/Schemas/{urn}", discovery.get_schema)
    app.router.add_get("/scim/v2/ResourceTypes", discovery.list_resource_types)
    app.router.add_get("/scim/v2/ResourceTypes/{name}", discovery.get_resource_type)
    app.router.add_route("*", "/scim/v2/Me", discovery.me)
    app.router.add_post("/scim/v2/Bulk", discovery.bulk)
