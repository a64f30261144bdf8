"""Every route of the gateway, one line each.

SCIM resource-type segments match case-insensitively (``/users`` works): some clients lower-case
URLs, and RFC 7644 gives them no reason to think the path is case-sensitive. Every SCIM route is
there twice, the second time with a trailing slash: Microsoft's clients send ``GET /Users/?filter=...``.
"""

from aiohttp import web

from services.gateway import health
from services.gateway.admin import documents
from services.gateway.admin.routes import add_admin_routes
from services.gateway.scim_api import bulk, discovery, groups, search, users
from shared.ops import server as ops

SCIM = "/scim/v2"


def scim(segment: str, rest: str = "") -> str:
    """``/scim/v2/<segment>`` matching the segment in any case (a regex segment in aiohttp's router)."""
    return f"{SCIM}/{{_type:(?i:{segment.replace('.', '[.]')})}}{rest}"


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.health)
    app.router.add_get("/livez", ops.livez)
    app.router.add_get("/readyz", ops.readyz)  # the probe: readiness.py
    add_admin_routes(app.router)
    app.router.add_get("/openapi/admin.json", documents.admin_api_document)
    app.router.add_get("/asyncapi.json", documents.asyncapi_document)
    for slash in ("", "/"):
        add_scim_routes(app.router, slash)


def add_scim_routes(router: web.UrlDispatcher, slash: str) -> None:
    """Every SCIM route, each path ending in ``slash``."""
    def at(segment: str, rest: str = "") -> str:
        return scim(segment, rest) + slash

    for name, resource in (("Users", users.views), ("Groups", groups.views)):
        router.add_post(at(name), resource.create)
        router.add_get(at(name), resource.list)
        router.add_post(at(name, "/.search"), resource.search)
        router.add_get(at(name, "/{id}"), resource.get)
        router.add_put(at(name, "/{id}"), resource.replace)
        router.add_patch(at(name, "/{id}"), resource.patch)
        router.add_delete(at(name, "/{id}"), resource.delete)
    router.add_post(f"{SCIM}/.search{slash}", search.search_all)
    router.add_get(at("ServiceProviderConfig"), discovery.service_provider_config)
    router.add_get(at("Schemas"), discovery.list_schemas)
    router.add_get(at("Schemas", "/{urn}"), discovery.get_schema)
    router.add_get(at("ResourceTypes"), discovery.list_resource_types)
    router.add_get(at("ResourceTypes", "/{name}"), discovery.get_resource_type)
    router.add_route("*", at("Me"), discovery.me)
    router.add_post(at("Bulk"), bulk.bulk)
