"""How the admin API asks a service over Kafka on a tenant's behalf, and answers with its result as JSON."""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web

from contracts import Message, Result
from services.gateway import keys
from shared.messaging.requester import unwrap
from shared.scim.errors import ScimError

ResultT = TypeVar("ResultT", bound=Result)


async def ask_service(request: web.Request, topic: str, key: str, tenant_id: str, command: Message,
                      result_type: type[ResultT]) -> ResultT:
    """The service's result; its refusal comes back as a RemoteError (the middleware's 4xx/5xx)."""
    reply = await request.app[keys.REQUESTER].ask(command, topic=topic, key=key, tenant_id=tenant_id)
    return unwrap(reply, result_type)


async def ask_for_tenant(request: web.Request, topic: str, command: Message, result_type: type[ResultT]) -> ResultT:
    """Ask a service keyed by tenant (sync status, notifier) on behalf of the calling admin's tenant."""
    tenant_id = request[keys.TENANT_ID]
    return await ask_service(request, topic, tenant_id, tenant_id, command, result_type)


def query_fields(request: web.Request, parameters: dict[str, str]) -> dict[str, str]:
    """The query string as a query's fields (``parameters``: name in the URL -> field); an unknown name is a 400."""
    if unknown := sorted(set(request.query) - set(parameters)):
        raise ScimError(400, f"Unknown query parameter(s): {', '.join(unknown)}; known: {', '.join(parameters)}")
    return {field: request.query[name] for name, field in parameters.items() if name in request.query}


def answer(result: Result, status: int = 200) -> web.Response:
    return web.json_response(result.model_dump(mode="json", exclude={"TYPE"}), status=status)
