"""Every route of the gateway, one line each."""

from aiohttp import web

from services.gateway.views import admin, health, users


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.health)
    app.router.add_post("/admin/v1/tenants", admin.create_tenant)
    app.router.add_post("/scim/v2/Users", users.create_user)
    app.router.add_get("/scim/v2/Users", users.list_users)
    app.router.add_get("/scim/v2/Users/{id}", users.get_user)
