"""Every page of the portal, one line each. Forms post to the page's own path plus an action."""

from aiohttp import web

from services.portal import keys
from services.portal.views import (
    notifications,
    operator,
    overview,
    provisioning,
    scim_log,
    sets,
    signin,
    users,
    webhooks,
)


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def setup_routes(app: web.Application) -> None:
    add = app.router
    add.add_get("/healthz", healthz)
    add.add_get("/static/{name}", app[keys.STATIC].serve)
    add.add_get("/signin", signin.signin_form)
    add.add_post("/signin", signin.signin)
    add.add_post("/signout", signin.signout)
    add.add_get("/setup", signin.setup_form)
    add.add_post("/setup", signin.setup)

    add.add_get("/", overview.show)
    add.add_get("/provisioning", provisioning.show)
    add.add_post("/provisioning/idp", provisioning.change_idp)
    add.add_post("/provisioning/token", provisioning.generate_token)
    add.add_post("/provisioning/token/delete", provisioning.delete_token)
    add.add_post("/provisioning/connection", provisioning.change_connection)
    add.add_post("/provisioning/policies", provisioning.change_policies)
    add.add_post("/provisioning/setup-link", provisioning.create_setup_link)
    add.add_get("/scim-log", scim_log.show)
    add.add_get("/sets", sets.show)
    add.add_get("/sets/new", sets.new)
    add.add_post("/sets/new", sets.create)
    add.add_get("/sets/{name}/edit", sets.edit)
    add.add_post("/sets/{name}/edit", sets.update)
    add.add_post("/sets/{name}/delete", sets.delete)
    add.add_get("/users", users.show)
    add.add_get("/users/history", users.history)
    add.add_get("/users/{user_id}", users.detail)
    add.add_post("/users/{user_id}", users.change)
    add.add_get("/webhooks", webhooks.show)
    add.add_post("/webhooks", webhooks.create)
    add.add_get("/webhooks/{endpoint_id}", webhooks.detail)
    add.add_post("/webhooks/{endpoint_id}/enabled", webhooks.set_enabled)
    add.add_post("/webhooks/{endpoint_id}/delete", webhooks.delete)
    add.add_post("/webhooks/{endpoint_id}/replay", webhooks.replay)
    add.add_get("/notifications", notifications.show)
    add.add_post("/notifications/read", notifications.mark_read)

    add.add_get("/operator/tenants", operator.tenants)
    add.add_post("/operator/tenants", operator.create_tenant)
    add.add_get("/operator/tenants/{tenant_id}", operator.tenant)
    add.add_post("/operator/tenants/{tenant_id}/admins", operator.add_admin)
    add.add_post("/operator/tenants/{tenant_id}/products", operator.sell_product)
    add.add_post("/operator/tenants/{tenant_id}/products/{product}", operator.change_product)
    add.add_post("/operator/tenants/{tenant_id}/rate", operator.set_rate)
    add.add_post("/operator/tenants/{tenant_id}/setup-link", operator.create_setup_link)
