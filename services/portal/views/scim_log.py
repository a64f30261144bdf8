"""SCIM request log: the tenant's recent SCIM calls (time, method, path, status, the error's detail), so
the IT admin sees why the IdP's last call failed without asking the vendor. Never a body or a secret:
the API records neither."""

from __future__ import annotations

from aiohttp import web

from services.portal.pages import call, outcome_page, render

PER_PAGE = 50
OUTCOMES = (("", "All calls"), ("failed", "Failed only"), ("succeeded", "Succeeded only"))


async def show(request: web.Request) -> web.Response:
    params, shown = outcome_page(request, PER_PAGE, "/scim-log")
    logged = await call(request, "GET", "/admin/v1/tenant/scim-log", params=params)
    return await render(request, "scim_log.html", {"logged": logged, "outcomes": OUTCOMES, **shown})
