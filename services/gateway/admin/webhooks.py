"""Webhook endpoints, their deliveries and the events API in the admin API: asked of the webhooks
service over Kafka for the calling admin's tenant (contracts/webhooks/v1.py). Its refusals (an unknown
endpoint, a URL it does not deliver to) come back as 404 / 400 with its reason (the errors middleware).

One endpoint is answered as the bare object (GET, PATCH); the list as {"endpoints": [...]}; its creation
as {"endpoint": ..., "secret": ...}, the one answer that ever holds the secret.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import Message
from contracts.topics import WEBHOOKS_COMMANDS
from contracts.webhooks import v1 as webhooks
from services.gateway.admin.asks import (
    ResultT,
    answer,
    ask_for_tenant,
    query_fields,
)
from services.gateway.admin.bodies import (
    NewWebhookEndpoint,
    WebhookEndpointChange,
    WebhookReplay,
    parse,
    sent,
)
from services.gateway.middlewares import read_json

#: Query parameters as the admin writes them -> the query's fields.
DELIVERY_PARAMETERS = {"outcome": "outcome", "startIndex": "start_index", "count": "count"}
EVENT_PARAMETERS = {"after": "after", "types": "types", "limit": "limit"}


async def _ask(request: web.Request, command: Message, result_type: type[ResultT]) -> ResultT:
    return await ask_for_tenant(request, WEBHOOKS_COMMANDS.name, command, result_type)


def _for_endpoint(request: web.Request, **fields: Any) -> dict[str, Any]:
    """A command's fields about the endpoint in the path."""
    return {"endpoint_id": request.match_info["endpoint_id"], **fields}


def _endpoint(record: webhooks.EndpointRecord) -> web.Response:
    return web.json_response(record.endpoint.model_dump(mode="json"))


async def create_endpoint(request: web.Request) -> web.Response:
    command = parse(webhooks.CreateEndpoint, parse(NewWebhookEndpoint, await read_json(request)).model_dump())
    return answer(await _ask(request, command, webhooks.EndpointCreated), status=201)


async def list_endpoints(request: web.Request) -> web.Response:
    return answer(await _ask(request, webhooks.ListEndpoints(), webhooks.EndpointList))


async def show_endpoint(request: web.Request) -> web.Response:
    query = parse(webhooks.GetEndpoint, _for_endpoint(request))
    return _endpoint(await _ask(request, query, webhooks.EndpointRecord))


async def change_endpoint(request: web.Request) -> web.Response:
    body = parse(WebhookEndpointChange, await read_json(request))
    command = parse(webhooks.ChangeEndpoint, _for_endpoint(request, **sent(body)))
    return _endpoint(await _ask(request, command, webhooks.EndpointRecord))


async def delete_endpoint(request: web.Request) -> web.Response:
    await _ask(request, parse(webhooks.DeleteEndpoint, _for_endpoint(request)), webhooks.EndpointDeleted)
    return web.Response(status=204)


async def list_deliveries(request: web.Request) -> web.Response:
    """?outcome=failed|succeeded &startIndex= &count= (default 50, at most 200; bad values: 400)."""
    query = parse(webhooks.ListDeliveries, _for_endpoint(request, **query_fields(request, DELIVERY_PARAMETERS)))
    return answer(await _ask(request, query, webhooks.DeliveryPage))


async def replay_events(request: web.Request) -> web.Response:
    body = parse(WebhookReplay, await read_json(request))
    command = parse(webhooks.ReplayEvents, _for_endpoint(request, **sent(body)))
    return answer(await _ask(request, command, webhooks.ReplayQueued), status=202)


async def list_events(request: web.Request) -> web.Response:
    """?after=<next_cursor> &types=a,b &limit= : the tenant's events in the order they were received."""
    fields: dict[str, Any] = query_fields(request, EVENT_PARAMETERS)
    if "types" in fields:
        fields["types"] = [kind for kind in fields["types"].split(",") if kind]
    return answer(await _ask(request, parse(webhooks.ListEvents, fields), webhooks.EventPage))
