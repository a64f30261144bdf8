"""SCIM /Users: parse -> pure SCIM core -> ask the user store over Kafka -> SCIM response."""

from __future__ import annotations

from aiohttp import web

from contracts import Message, Reply
from contracts.topics import USERS_COMMANDS, new_user_key, user_key
from contracts.users.v1 import CreateUser, GetUser, QueryUsers, UserPage, UserRecord
from services.gateway import keys
from services.gateway.middlewares import read_json
from services.gateway.responses import scim_json
from services.gateway.scim.filters import parse_filter
from services.gateway.scim.listing import list_response, paging
from services.gateway.scim.users import etag, parse_new_user, render_user
from shared.messaging.requester import unwrap


async def ask_users(request: web.Request, command: Message, key: str) -> Reply:
    tenant_id = request[keys.TENANT_ID]
    return await request.app[keys.REQUESTER].ask(
        command, topic=USERS_COMMANDS.name, key=key, tenant_id=tenant_id
    )


def user_response(request: web.Request, record: UserRecord, status: int = 200) -> web.Response:
    body = render_user(record, request.app[keys.SETTINGS].scim_base_url)
    headers = {"ETag": etag(record.version)}
    if status == 201:
        headers["Location"] = body["meta"]["location"]
    return scim_json(body, status=status, headers=headers)


async def create_user(request: web.Request) -> web.Response:
    resource = parse_new_user(await read_json(request))
    key = new_user_key(request[keys.TENANT_ID], resource["userName"])
    record = unwrap(await ask_users(request, CreateUser(resource=resource), key), UserRecord)
    return user_response(request, record, status=201)


async def get_user(request: web.Request) -> web.Response:
    user_id = request.match_info["id"]
    reply = await ask_users(request, GetUser(id=user_id), user_key(request[keys.TENANT_ID], user_id))
    return user_response(request, unwrap(reply, UserRecord))


async def list_users(request: web.Request) -> web.Response:
    criteria = parse_filter(request.query["filter"]) if request.query.get("filter") else []
    start_index, count = paging(request.query)
    query = QueryUsers(criteria=criteria, start_index=start_index, count=count)
    page = unwrap(await ask_users(request, query, request[keys.TENANT_ID]), UserPage)
    base_url = request.app[keys.SETTINGS].scim_base_url
    resources = [render_user(record, base_url) for record in page.resources]
    return scim_json(list_response(resources, page.total_results, start_index))
