"""The tenant admin's API (Bearer admin key) under /admin/v1/tenant: the key's own tenant only.

Paths carry no tenant id: it comes from the key, so an admin cannot even name another tenant, and
another tenant's admin id is simply not found here (404, never 403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from contracts.tenants.v2 import TenantRecord
from services.gateway import keys
from services.gateway.admin.bodies import (
    ConnectionChange,
    NewToken,
    PolicyChange,
    admin_json,
    connection_json,
    parse,
    sent,
    tenant_json,
    token_json,
)
from services.gateway.middlewares import read_json
from services.gateway.tenancy import rules, tokens
from services.gateway.tenancy import store as tenant_store
from shared.scim.errors import ScimError


def render_tenant(request: web.Request, record: TenantRecord) -> dict[str, Any]:
    app = request.app
    return tenant_json(record, app[keys.TENANTS].activity(record.tenant_id), app[keys.CLOCK](),
                       app[keys.SETTINGS].scim_base_url, app[keys.SETTINGS].rate_limit_per_second)


def _record(request: web.Request) -> TenantRecord:
    return tenant_store.current(request.app, request[keys.TENANT_ID])


async def _change(request: web.Request, apply: Callable[[TenantRecord], Any]) -> Any:
    return await tenant_store.change(request.app, request[keys.TENANT_ID], apply)


def _token(request: web.Request, record: TenantRecord) -> dict[str, Any] | None:
    return token_json(record, request.app[keys.TENANTS].activity(record.tenant_id), request.app[keys.CLOCK]())


def _connection(request: web.Request, record: TenantRecord) -> dict[str, Any]:
    activity = request.app[keys.TENANTS].activity(record.tenant_id)
    return connection_json(record, activity, request.app[keys.SETTINGS].scim_base_url)


async def show_tenant(request: web.Request) -> web.Response:
    return web.json_response(render_tenant(request, _record(request)))


async def create_token(request: web.Request) -> web.Response:
    body, now = parse(NewToken, await read_json(request)), request.app[keys.CLOCK]()
    issued = await _change(request, lambda r: tokens.replace_token(r, body.expires_in_days, now, confirmed=body.replace))
    return web.json_response({"token": issued.secret, **(_token(request, issued.record) or {})}, status=201)


async def show_token(request: web.Request) -> web.Response:
    shown = _token(request, _record(request))
    if shown is None:
        raise ScimError(404, "This tenant has no API token; generate one with POST /admin/v1/tenant/token")
    return web.json_response(shown)


async def delete_token(request: web.Request) -> web.Response:
    now = request.app[keys.CLOCK]()
    await _change(request, lambda r: tokens.delete_token(r, now))
    return web.Response(status=204)


async def show_connection(request: web.Request) -> web.Response:
    return web.json_response(_connection(request, _record(request)))


async def change_connection(request: web.Request) -> web.Response:
    changes = sent(parse(ConnectionChange, await read_json(request)))
    is_connected = tenant_store.connected(request.app, request[keys.TENANT_ID])
    record = await _change(request, lambda r: rules.change_connection(r, changes, is_connected))
    return web.json_response(_connection(request, record))


async def show_policies(request: web.Request) -> web.Response:
    return web.json_response(_record(request).policies.model_dump())


async def change_policies(request: web.Request) -> web.Response:
    changes = sent(parse(PolicyChange, await read_json(request)))
    record = await _change(request, lambda r: rules.change_policies(r, changes))
    return web.json_response(record.policies.model_dump())


async def list_admins(request: web.Request) -> web.Response:
    return web.json_response({"admins": [admin_json(a) for a in _record(request).admins]})


async def show_admin(request: web.Request) -> web.Response:
    return web.json_response(admin_json(rules.find_admin(_record(request), request.match_info["admin_id"])))


async def remove_admin(request: web.Request) -> web.Response:
    admin_id = request.match_info["admin_id"]
    await _change(request, lambda r: rules.remove_admin(r, admin_id))
    return web.Response(status=204)
