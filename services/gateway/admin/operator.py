"""The operator's API (Bearer operator key): create tenants, add their admins, set rate limits.

Tenant creation also issues the tenant's first SCIM token (shown once), so that one command gives
a working Base URL and token; the admins take it from there under /admin/v1/tenant.
"""

from __future__ import annotations

from aiohttp import web

from services.gateway import keys
from services.gateway.admin.asks import query_fields
from services.gateway.admin.bodies import (
    NewAdmin,
    NewTenant,
    RateLimit,
    TenantListQuery,
    admin_json,
    iso,
    parse,
    tenant_row_json,
)
from services.gateway.admin.tenant import render_tenant
from services.gateway.middlewares import read_json
from services.gateway.tenancy import rules
from services.gateway.tenancy import store as tenant_store

#: Query parameters of the tenant list as the operator writes them -> the query's fields.
LIST_PARAMETERS = {"startIndex": "start_index", "count": "count", "search": "search"}


def _tenant_id(request: web.Request) -> str:
    return request.match_info["tenant_id"]


async def create_tenant(request: web.Request) -> web.Response:
    body, app = parse(NewTenant, await read_json(request)), request.app
    issued = rules.new_tenant(body.name, app[keys.CLOCK](), idp_type=body.idp_type,
                              token_days=body.token_expires_in_days)
    await tenant_store.save(app, issued.record)  # back once this replica holds it: the token works at once
    record = issued.record
    assert record.token is not None
    request[keys.TENANT_ID] = record.tenant_id  # the audit line names the tenant this call made
    return web.json_response({
        "tenant_id": record.tenant_id, "name": record.name, "scim_base_url": app[keys.SETTINGS].scim_base_url,
        "token": issued.secret, "token_expires_at": iso(record.token.expires_at),
    }, status=201)


async def list_tenants(request: web.Request) -> web.Response:
    """Every tenant this replica's directory holds (all of them), by name: ?search= &startIndex= &count=."""
    query, directory = parse(TenantListQuery, query_fields(request, LIST_PARAMETERS)), request.app[keys.TENANTS]
    found, now = rules.find_tenants(directory.records(), query.search), request.app[keys.CLOCK]()
    page = found[query.start_index - 1:query.start_index - 1 + query.count]
    return web.json_response({
        "total_results": len(found), "start_index": query.start_index, "items_per_page": len(page),
        "items": [tenant_row_json(record, directory.activity(record.tenant_id), now) for record in page],
    })


async def show_tenant(request: web.Request) -> web.Response:
    return web.json_response(render_tenant(request, tenant_store.current(request.app, _tenant_id(request))))


async def add_admin(request: web.Request) -> web.Response:
    body, now = parse(NewAdmin, await read_json(request)), request.app[keys.CLOCK]()
    issued = await tenant_store.change(request.app, _tenant_id(request),
                                       lambda r: rules.add_admin(r, body.name, body.email, now))
    return web.json_response({**admin_json(issued.record.admins[-1]), "admin_key": issued.secret}, status=201)


async def set_rate_limit(request: web.Request) -> web.Response:
    per_second = parse(RateLimit, await read_json(request)).requests_per_second
    record = await tenant_store.change(request.app, _tenant_id(request),
                                       lambda r: rules.set_rate_limit(r, per_second))
    return web.json_response({"requests_per_second": record.rate_limit_per_second
                              or request.app[keys.SETTINGS].rate_limit_per_second})
