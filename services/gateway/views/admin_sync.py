"""Sync status in the admin API: every user's provisioning status, one user's history, the tenant's
summary; asked of the sync-status reporter over Kafka (contracts/sync_status)."""

from __future__ import annotations

from aiohttp import web

from contracts.sync_status.v1 import (
    GetSyncSummary,
    GetUserHistory,
    ListUserStatuses,
    SyncSummary,
    UserHistory,
    UserStatusPage,
)
from contracts.topics import SYNC_STATUS_COMMANDS
from services.gateway.admin_json import parse
from services.gateway.views.admin_asks import answer, ask_for_tenant, query_fields

#: Query parameters as the admin writes them -> the query's fields.
LIST_PARAMETERS = {"status": "status", "product": "product", "set": "subscription_set",
                   "startIndex": "start_index", "count": "count"}


async def list_statuses(request: web.Request) -> web.Response:
    """?status=failed|synced|pending|deleted &product= &set= &startIndex= &count= (bad values: 400)."""
    query = parse(ListUserStatuses, query_fields(request, LIST_PARAMETERS))
    return answer(await ask_for_tenant(request, SYNC_STATUS_COMMANDS.name, query, UserStatusPage))


async def user_history(request: web.Request) -> web.Response:
    query = parse(GetUserHistory, {"user_name": request.match_info["user_name"], **request.query})
    return answer(await ask_for_tenant(request, SYNC_STATUS_COMMANDS.name, query, UserHistory))


async def summary(request: web.Request) -> web.Response:
    return answer(await ask_for_tenant(request, SYNC_STATUS_COMMANDS.name, GetSyncSummary(), SyncSummary))
