"""SCIM request log: the tenant's recent SCIM calls (time, method, path, status, the error's detail), so
the IT admin sees why the IdP's last call failed without asking the vendor. Never a body or a secret:
the API records neither."""

from __future__ import annotations

from aiohttp import web

from services.portal.pages import call, page_number, render

PER_PAGE = 50
OUTCOMES = (("", "All calls"), ("failed", "Failed only"), ("succeeded", "Succeeded only"))


async def show(request: web.Request) -> web.Response:
    page, start = page_number(request, PER_PAGE)
    outcome = request.query.get("outcome", "")
    params = {"startIndex": str(start), "count": str(PER_PAGE)} | ({"outcome": outcome} if outcome else {})
    logged = await call(request, "GET", "/admin/v1/tenant/scim-log", params=params)
    return await render(request, "scim_log.html", {
        "logged": logged, "page": page, "per_page": PER_PAGE, "outcome": outcome, "outcomes": OUTCOMES,
        "pager_base": f"/scim-log?outcome={outcome}&" if outcome else "/scim-log?"})
