"""The tenant's SCIM request log in the admin API: its IdP's recent calls (time, method, path, status,
the Error's detail), newest first, asked of the sync-status reporter (contracts/sync_status/scim_log_v1).
The Admin Portal's IdP screen reads the last call and its outcome from it (``count=1``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aiohttp import web

from contracts.sync_status.scim_log_v1 import ListScimCalls, ScimCallPage
from contracts.topics import SYNC_STATUS_COMMANDS
from services.gateway.admin.asks import ask_for_tenant, query_fields
from services.gateway.admin.bodies import parse

#: Query parameters as the admin writes them -> the query's fields.
LIST_PARAMETERS = {"outcome": "outcome", "startIndex": "start_index", "count": "count"}


async def list_scim_calls(request: web.Request) -> web.Response:
    """?outcome=failed|succeeded &startIndex= &count= (default 50, at most 200; bad values: 400)."""
    query = parse(ListScimCalls, query_fields(request, LIST_PARAMETERS))
    return web.json_response(page_json(await ask_for_tenant(request, SYNC_STATUS_COMMANDS.name, query, ScimCallPage)))


def page_json(page: ScimCallPage) -> dict[str, Any]:
    """The paths percent-decoded, as a person reads them (stored as sent: decoding each call cost more)."""
    return {"total_results": page.total_results, "start_index": page.start_index, "items_per_page": len(page.calls),
            "items": [{**call.model_dump(mode="json"), "path": unquote(call.path, errors="replace")}
                      for call in page.calls]}
