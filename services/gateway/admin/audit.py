"""An audit line for every admin change: one structured log record per admin API write.

Who (the ACTOR the call authenticated as: the operator, an admin's id, a setup session's or link's
public prefix), what (the method and the route's template, never the path's values beyond the
tenant's id, never a body or a secret), the tenant, and the status the caller got, refusals
included. Calls that authenticated as nobody are failed authentications (tenancy/auth_failures.py), not
changes, and so are calls to no route. The lines go to the log only: there is no audit trail to
query through the admin API (yet).
"""

from __future__ import annotations

import logging

from aiohttp import web

from services.gateway import keys

log = logging.getLogger("scimflow.audit")

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@web.middleware
async def audit_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Outside the errors middleware, so a refusal is logged with the status its caller got."""
    if request.method not in WRITES or not request.path.startswith("/admin/"):
        return await handler(request)
    status: int | None = None  # None: the caller went away before the answer (the change may be done)
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        _record(request, status)


def _record(request: web.Request, status: int | None) -> None:
    actor, resource = request.get(keys.ACTOR), request.match_info.route.resource
    if actor is None or resource is None:
        return
    log.info("admin change", extra={
        "audit": True, "actor": actor, "method": request.method, "route": resource.canonical,
        "tenant_id": request.get(keys.TENANT_ID) or request.match_info.get("tenant_id"), "status": status,
    })
