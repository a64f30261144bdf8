"""Every route of the gateway, one line each.

SCIM resource-type segments match case-insensitively (``/users`` works): some clients lower-case
URLs, and RFC 7644 gives them no reason to think the path is case-sensitive.
"""

from aiohttp import web

from services.gateway.admin_routes import add_admin_routes
from services.gateway.views import bulk, discovery, docs, groups, health, search, users

SCIM = "/scim/v2"


def scim(segment: str, rest: str = "") -> str:
    """``/scim/v2/<segment>`` matching the segment in any case (a regex segment in aiohttp's router)."""
    return f"{SCIM}/{{_type:(?i:{segment.replace('.', '[.]')})}}{rest}"


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.health)
    add_admin_routes(app.router)
    app.router.add_get("/openapi/admin.json", docs.admin_api_document)
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
