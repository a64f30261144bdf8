"""Sync status in the admin API: every user's provisioning status, one user's history, the tenant's
summary; asked of the sync-status reporter over Kafka (contracts/sync_status)."""

from __future__ import annotations

from aiohttp import web

from contracts.seats.v1 import ListSubscriptionSets, SubscriptionSetList
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
from services.gateway.admin.asks import answer, ask_for_tenant, query_fields
from services.gateway.admin.bodies import iso, parse, token_json
from services.gateway.admin.seats import ask_allocator

#: Query parameters as the admin writes them -> the query's fields.
LIST_PARAMETERS = {"status": "status", "product": "product", "set": "subscription_set", "search": "search",
                   "startIndex": "start_index", "count": "count"}


async def list_statuses(request: web.Request) -> web.Response:
    """?status=failed|synced|pending|deleted &product= &set= &search= &startIndex= &count= (bad values: 400)."""
    query = parse(ListUserStatuses, query_fields(request, LIST_PARAMETERS))
    return answer(await ask_for_tenant(request, SYNC_STATUS_COMMANDS.name, query, UserStatusPage))


async def user_history(request: web.Request) -> web.Response:
    query = parse(GetUserHistory, {"user_name": request.match_info["user_name"], **request.query})
    return answer(await ask_for_tenant(request, SYNC_STATUS_COMMANDS.name, query, UserHistory))


async def summary(request: web.Request) -> web.Response:
    """The reporter's counts, the tenant's last SCIM call of any kind and its token's state (the gateway's
    tenant directory), and each subscription set's Last Synced (the allocator's; null: UnSynced)."""
    tenant_id = request[keys.TENANT_ID]
    counts = await ask_for_tenant(request, SYNC_STATUS_COMMANDS.name, GetSyncSummary(), SyncSummary)
    sets = await ask_allocator(request, tenant_id, ListSubscriptionSets(), SubscriptionSetList)
    directory, now = request.app[keys.TENANTS], request.app[keys.CLOCK]()
    activity, record = directory.activity(tenant_id), directory.get(tenant_id)
    return web.json_response({
        **counts.model_dump(mode="json"),
        "last_scim_call": iso(activity.last_used_at if activity else None),
        "token": token_json(record, activity, now) if record else None,  # active / expired, expiry, last use
        "subscription_sets": [{"name": found.name, "last_synced": iso(found.last_synced)} for found in sets.sets],
    })
