"""Operator admin API: create a tenant and its first SCIM token (the full lifecycle is issue 5)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from contracts.topics import TENANTS_STATE
from services.gateway import keys
from services.gateway.middlewares import read_json
from shared.scim.errors import ScimError
from services.gateway.tenants import issue_tenant

MAX_NAME = 100


async def create_tenant(request: web.Request) -> web.Response:
    body = await read_json(request)
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_NAME:
        raise ScimError(400, f"name is required (1-{MAX_NAME} characters)", "invalidValue")
    issued = issue_tenant(name.strip(), datetime.now(UTC))
    record, app = issued.record, request.app
    await app[keys.REQUESTER].cast(record, topic=TENANTS_STATE.name, key=record.tenant_id)
    # Answer once this gateway's own directory holds the token, so it works on the very next call.
    await app[keys.TENANTS].wait_for(record, timeout=app[keys.SETTINGS].request_timeout)
    return web.json_response({
        "tenant_id": record.tenant_id,
        "name": record.name,
        "scim_base_url": app[keys.SETTINGS].scim_base_url,
        "token": issued.token,
        "token_expires_at": record.token_expires_at.isoformat() if record.token_expires_at else None,
    }, status=201)
