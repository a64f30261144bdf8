"""Sync status in the admin API: every user's provisioning status, one user's history, the tenant's
summary; asked of the sync-status reporter over Kafka (contracts/sync_status)."""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web

from contracts import Message, Result
from contracts.sync_status.v1 import (
    GetSyncSummary,
    GetUserHistory,
    ListUserStatuses,
    SyncSummary,
    UserHistory,
    UserStatusPage,
)
from contracts.topics import SYNC_STATUS_COMMANDS
from services.gateway import keys
from services.gateway.admin_json import parse
from services.gateway.views.admin_seats import answer
from shared.messaging.requester import unwrap
from shared.scim.errors import ScimError

ResultT = TypeVar("ResultT", bound=Result)

#: Query parameters as the admin writes them -> the query's fields.
LIST_PARAMETERS = {"status": "status", "product": "product", "set": "subscription_set",
                   "startIndex": "start_index", "count": "count"}


async def ask_reporter(request: web.Request, query: Message, result_type: type[ResultT]) -> ResultT:
    tenant_id = request[keys.TENANT_ID]
    reply = await request.app[keys.REQUESTER].ask(query, topic=SYNC_STATUS_COMMANDS.name, key=tenant_id,
                                                  tenant_id=tenant_id)
    return unwrap(reply, result_type)


async def list_statuses(request: web.Request) -> web.Response:
    """?status=failed|synced|pending|deleted &product= &set= &startIndex= &count= (bad values: 400)."""
    if unknown := sorted(set(request.query) - set(LIST_PARAMETERS)):
        raise ScimError(400, f"Unknown query parameter(s): {', '.join(unknown)}; known: {', '.join(LIST_PARAMETERS)}")
    fields = {field: request.query[name] for name, field in LIST_PARAMETERS.items() if name in request.query}
    return answer(await ask_reporter(request, parse(ListUserStatuses, fields), UserStatusPage))


async def user_history(request: web.Request) -> web.Response:
    query = parse(GetUserHistory, {"user_name": request.match_info["user_name"], **request.query})
    return answer(await ask_reporter(request, query, UserHistory))


async def summary(request: web.Request) -> web.Response:
    return answer(await ask_reporter(request, GetSyncSummary(), SyncSummary))
