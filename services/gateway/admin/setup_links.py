"""Setup links: the operator or a tenant admin hands the customer's IT admin a one-time link to the IdP
setup screen, which needs no admin key.

The same handlers serve both callers: the operator names the tenant in the path, an admin's key names
its own. Opening the link (redeem) spends it and answers a session key that the gateway lets onto that
screen's routes only (access.SETUP_SCREEN_ROUTES). The rules are tenancy/setup_links.py's.
"""

from __future__ import annotations

from aiohttp import web

from services.gateway import keys
from services.gateway.admin.bodies import NewSetupLink, iso, parse, setup_link_json
from services.gateway.middlewares import read_json
from services.gateway.tenancy import setup_links as rules
from services.gateway.tenancy import store as tenant_store
from services.gateway.tenancy.access import bearer

#: ``created_by`` of a link the operator made (an admin's carries their admin id).
OPERATOR = "operator"


def _tenant_and_maker(request: web.Request) -> tuple[str, str]:
    if "tenant_id" in request.match_info:
        return request.match_info["tenant_id"], OPERATOR
    return request[keys.TENANT_ID], request[keys.ADMIN_ID]


async def create_setup_link(request: web.Request) -> web.Response:
    """The link's key, shown in this answer only; a body is optional (3 days)."""
    body = parse(NewSetupLink, await read_json(request) if request.body_exists else {})
    (tenant_id, maker), now = _tenant_and_maker(request), request.app[keys.CLOCK]()
    issued = await tenant_store.change(request.app, tenant_id,
                                       lambda r: rules.new_setup_link(r, body.expires_in_days, now, maker))
    link = issued.record.setup_link
    assert link is not None
    return web.json_response({"setup_key": issued.secret, "created": iso(link.created),
                              "expires_at": iso(link.expires_at)}, status=201)


async def show_setup_link(request: web.Request) -> web.Response:
    record = tenant_store.current(request.app, _tenant_and_maker(request)[0])
    return web.json_response(setup_link_json(record.setup_link, request.app[keys.CLOCK]()))


async def delete_setup_link(request: web.Request) -> web.Response:
    await tenant_store.change(request.app, _tenant_and_maker(request)[0], rules.delete_setup_link)
    return web.Response(status=204)


async def redeem_setup_link(request: web.Request) -> web.Response:
    """Bearer scl_...: the link is spent here, once, on whichever replica answers first."""
    key, now = bearer(request), request.app[keys.CLOCK]()
    issued = await tenant_store.change(request.app, request[keys.TENANT_ID],
                                       lambda r: rules.redeem_setup_link(r, key, now))
    record, link = issued.record, issued.record.setup_link
    assert link is not None
    return web.json_response({"session_key": issued.secret, "expires_at": iso(link.session_expires_at),
                              "tenant_id": record.tenant_id, "tenant_name": record.name})
