"""``POST /.search`` (RFC 7644 §3.4.3): one search over every resource type, Users then Groups.

The filter is parsed against each type's schema; a type whose schema lacks a filtered attribute
simply has no matches. Paging runs over the concatenation, so startIndex and count mean what they
mean on a single endpoint.
"""

from __future__ import annotations

import dataclasses

from aiohttp import web

from services.gateway.middlewares import read_json
from services.gateway.scim import queries
from services.gateway.scim.listing import list_response
from services.gateway.scim_api import groups, users
from services.gateway.scim_api.resources import ResourceViews
from services.gateway.scim_api.responses import scim_json
from shared.scim.errors import ScimError

SEARCHED = (users.views, groups.views)


async def search_all(request: web.Request) -> web.Response:
    searches = _parsed_per_type(await read_json(request))
    first = next(iter(searches.values()))
    found: list[dict] = []
    total, offset = 0, first.start_index - 1  # offset into the concatenation of every type's matches
    for views, query in searches.items():
        window = dataclasses.replace(query, start_index=max(0, offset - total) + 1, count=query.count - len(found))
        resources, matched = await views.page(request, window)
        found += resources
        total += matched
    return scim_json(list_response(found, total, first.start_index))


def _parsed_per_type(body: object) -> dict[ResourceViews, queries.ListQuery]:
    parsed, errors = {}, []
    for views in SEARCHED:
        try:
            parsed[views] = queries.from_search_body(body, views.api.schema)
        except ScimError as error:
            errors.append(error)
    if not parsed:
        raise errors[0]  # bad for every type: a syntax error, or an attribute nobody has
    return parsed
