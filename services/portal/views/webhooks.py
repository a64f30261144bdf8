"""Webhooks: the tenant's endpoints (URL, event types or all, enabled or why not, failing since,
the secret's prefix); adding one, whose signing secret is shown once; and per endpoint: enable / disable,
delete once confirmed, its recent deliveries, and "Replay since". The rules (which URLs, which types) are
the webhooks service's: its refusal is shown next to the field, in its words."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from contracts.events.v1 import EVENT_TYPES
from services.portal import keys
from services.portal.forms import (
    FORM_REFUSED,
    checked,
    form_of,
    refused_or_redirect,
    submit,
)
from services.portal.pages import call, outcome_page, render

HERE = "/webhooks"
API = "/admin/v1/tenant/webhooks"
PER_PAGE = 50
OUTCOMES = (("", "All deliveries"), ("failed", "Failed only"), ("succeeded", "Succeeded only"))
#: The API's names of a new endpoint's fields -> the form's (the API's refusal names the field).
FIELDS = {"url": "url", "description": "description", "event_types": "event_types"}


def _api_path(endpoint_id: str, action: str = "") -> str:
    return f"{API}/{quote(endpoint_id, safe='')}{action}"


def _page_path(endpoint_id: str) -> str:
    return f"{HERE}/{quote(endpoint_id, safe='')}"


async def show(request: web.Request, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
               status: int = 200) -> web.Response:
    listed = await call(request, "GET", API)
    return await render(request, "webhooks.html", {
        "endpoints": listed["endpoints"], "event_types": tuple(EVENT_TYPES), "errors": errors or {},
        "values": values or {"event_types": []}, "new_secret": keys.session_of(request).once.pop("webhook", None),
    }, status=status)


async def create(request: web.Request) -> web.Response:
    posted, form = await request.post(), await form_of(request)
    values = {"url": form.get("url", ""), "description": form.get("description", ""),
              "event_types": [kind for kind in posted.getall("event_types", []) if isinstance(kind, str)]}
    created, errors = await submit(request, "url", "POST", API, json=values, fields=FIELDS)
    if created:
        keys.session_of(request).once["webhook"] = created
    return await refused_or_redirect(request, errors, show, HERE, "", values=values)


async def detail(request: web.Request, *, errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    endpoint_id = request.match_info["endpoint_id"]
    endpoint = await call(request, "GET", _api_path(endpoint_id))
    params, shown = outcome_page(request, PER_PAGE, _page_path(endpoint_id))
    deliveries = await call(request, "GET", _api_path(endpoint_id, "/deliveries"), params=params)
    return await render(request, "webhook.html", {
        "endpoint": endpoint, "deliveries": deliveries, "outcomes": OUTCOMES, "errors": errors or {}, **shown,
    }, status=status)


async def set_enabled(request: web.Request) -> web.Response:
    endpoint_id, enable = request.match_info["endpoint_id"], checked(await form_of(request), "enabled")
    _, errors = await submit(request, "enabled", "PATCH", _api_path(endpoint_id), json={"enabled": enable})
    return await refused_or_redirect(request, errors, detail, _page_path(endpoint_id),
                                     "Endpoint enabled." if enable else "Endpoint disabled: nothing is delivered "
                                                                        "to it until you enable it again.")


async def delete(request: web.Request) -> web.Response:
    """Deliveries stop at once and its secret is gone: asked to confirm first."""
    endpoint_id = request.match_info["endpoint_id"]
    if not checked(await form_of(request), "confirm_delete"):
        return await detail(request, errors={"confirm_delete": "Tick the box to confirm: nothing is delivered to "
                                                               "this URL any more."}, status=FORM_REFUSED)
    _, errors = await submit(request, "confirm_delete", "DELETE", _api_path(endpoint_id))
    return await refused_or_redirect(request, errors, detail, HERE, "Endpoint deleted.")


async def replay(request: web.Request) -> web.Response:
    """The form's date and time are UTC (the page says so): sent as RFC 3339 with its offset."""
    endpoint_id, since = request.match_info["endpoint_id"], (await form_of(request)).get("since", "")
    if not since:
        return await detail(request, errors={"since": "Enter the date and time to replay events from."},
                            status=FORM_REFUSED)
    queued, errors = await submit(request, "since", "POST", _api_path(endpoint_id, "/replay"),
                                  json={"since": f"{since}Z"})
    flash = f"{queued['queued']} event(s) queued to be delivered again." if queued else ""
    return await refused_or_redirect(request, errors, detail, _page_path(endpoint_id), flash)
