"""SCIM discovery (RFC 7644 §4) and the endpoints we answer 501: static, so no Kafka round trip."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from services.gateway import keys
from services.gateway.scim import discovery
from services.gateway.scim.listing import list_response
from services.gateway.scim_api.responses import scim_json
from shared.scim import schemas
from shared.scim.errors import ScimError

View = Callable[[web.Request], Awaitable[web.Response]]


def _base_url(request: web.Request) -> str:
    return request.app[keys.SETTINGS].scim_base_url


def _listing_view(resources: Callable[[str], list[dict[str, Any]]]) -> View:
    async def view(request: web.Request) -> web.Response:
        discovery.reject_filter(request.query)
        found = resources(_base_url(request))
        # RFC 7644 §4: startIndex/count SHALL be ignored here, so every resource is on the one page.
        return scim_json(list_response(found, len(found), start_index=1))

    return view


def _single_view(resource: Callable[[str, str], dict[str, Any] | None], param: str, what: str) -> View:
    async def view(request: web.Request) -> web.Response:
        discovery.reject_filter(request.query)
        key = request.match_info[param]
        found = resource(key, _base_url(request))
        if found is None:
            raise ScimError(404, f"{what} {key} is not known to this server")
        return scim_json(found)

    return view


async def service_provider_config(request: web.Request) -> web.Response:
    discovery.reject_filter(request.query)
    return scim_json(discovery.service_provider_config(_base_url(request)))


list_schemas = _listing_view(schemas.schemas)
get_schema = _single_view(schemas.schema, "urn", "Schema")
list_resource_types = _listing_view(discovery.resource_types)
get_resource_type = _single_view(discovery.resource_type, "name", "ResourceType")


async def me(request: web.Request) -> web.Response:
    raise ScimError(501, "/Me is not supported (RFC 7644 §3.11)")

