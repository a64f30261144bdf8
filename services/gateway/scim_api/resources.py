"""The SCIM resource endpoints (RFC 7644 §3.3-§3.6), written once for Users and Groups.

Each view is thin: parse with the pure core, ask the owning service over the bus, render. The
resource-specific parts (schema, topic, contract classes) come from a ``ResourceApi``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from contracts import Message, Result
from contracts.topics import query_key, resource_key
from services.gateway import keys
from services.gateway.middlewares import header_text, read_json
from services.gateway.scim import queries
from services.gateway.scim.listing import list_response
from services.gateway.scim.resources import location, render
from services.gateway.scim_api.responses import scim_json
from shared.messaging.requester import unwrap
from shared.scim import etags
from shared.scim.attributes import ResourceSchema
from shared.scim.patch_parse import parse_patch
from shared.scim.projection import Selection, parse_selection, project, split_names

ResultT = TypeVar("ResultT", bound=Result)
#: A contract class, called with its fields (``create(resource=...)``).
CommandClass = Callable[..., Message]
#: Resources as rendered, one JSON object each.
Rendered = list[dict[str, Any]]


@dataclass(frozen=True)
class ResourceApi:
    """What differs between /Users and /Groups: the schema, the owning service's topic, the contracts."""

    schema: ResourceSchema
    topic: str
    parse: Callable[[Any], dict[str, Any]]  # a POST/PUT body -> the stored resource
    create_key: Callable[[str, dict[str, Any]], str]  # (tenant, resource) -> Kafka key
    create: CommandClass
    get: CommandClass
    replace: CommandClass
    patch: CommandClass
    delete: CommandClass
    query: CommandClass
    record: type[Result]
    page: type[Result]
    deleted: type[Result]
    # Extra fields for get/query commands from what the response will show (e.g. skip loading members).
    read_options: Callable[[Selection], dict[str, Any]] = lambda selection: {}
    # Extra fields for replace/patch commands from the tenant (e.g. its email-change policy).
    write_options: Callable[[web.Request], dict[str, Any]] = lambda request: {}
    # PATCH answers 204 No Content unless attributes/excludedAttributes ask for the resource (RFC 7644
    # §3.5.2 allows either; Entra advises against a group's whole member list on every PATCH).
    patch_answers_no_content: bool = False


class ResourceViews:
    def __init__(self, api: ResourceApi) -> None:
        self.api = api

    # Views: HTTP in, HTTP out.

    async def create(self, request: web.Request) -> web.Response:
        return self._respond(request, await self.create_resource(request, await read_json(request)), status=201)

    async def get(self, request: web.Request) -> web.StreamResponse:
        options = self.api.read_options(selection_of(request, self.api.schema))
        record = await self._record(request, self.api.get(id=_id(request), **options), _id(request))
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match and etags.matches(if_none_match, record.version):
            return web.Response(status=304, headers={"ETag": etags.etag(record.version)})
        return self._respond(request, record)

    async def replace(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        return self._respond(request, await self.replace_resource(request, _id(request), body, _if_match(request)))

    async def patch(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        record = await self.patch_resource(request, _id(request), body, _if_match(request))
        if self.api.patch_answers_no_content and not asks_for_resource(request):
            return web.Response(status=204, headers={"ETag": etags.etag(record.version)})
        return self._respond(request, record)

    async def delete(self, request: web.Request) -> web.Response:
        await self.delete_resource(request, _id(request), _if_match(request))
        return web.Response(status=204)

    # Operations: shared by the views and by /Bulk, which runs them without an HTTP request of their own.

    async def create_resource(self, request: web.Request, payload: Any) -> Any:
        resource = self.api.parse(payload)
        key = self.api.create_key(request[keys.TENANT_ID], resource)
        return await self._ask(request, self.api.create(resource=resource), self.api.record, key=key)

    async def replace_resource(self, request: web.Request, resource_id: str, payload: Any,
                               if_match: str | None) -> Any:
        command = self.api.replace(id=resource_id, resource=self.api.parse(payload), if_match=if_match,
                                   **self.api.write_options(request))
        return await self._record(request, command, resource_id)

    async def patch_resource(self, request: web.Request, resource_id: str, payload: Any,
                             if_match: str | None) -> Any:
        parse_patch(payload, self.api.schema)  # a bad PatchOp is a 400 here, before anything is published
        command = self.api.patch(id=resource_id, patch=payload, if_match=if_match, **self.api.write_options(request))
        return await self._record(request, command, resource_id)

    async def delete_resource(self, request: web.Request, resource_id: str, if_match: str | None) -> None:
        command = self.api.delete(id=resource_id, if_match=if_match)
        await self._ask(request, command, self.api.deleted, key=self._key(request, resource_id))

    async def list(self, request: web.Request) -> web.Response:
        return await self._search(request, queries.from_params(request.query, self.api.schema))

    async def search(self, request: web.Request) -> web.Response:
        return await self._search(request, queries.from_search_body(await read_json(request), self.api.schema))

    async def _search(self, request: web.Request, query: queries.ListQuery) -> web.Response:
        resources, total = await self.page(request, query)
        return scim_json(list_response(resources, total, query.start_index))

    async def page(self, request: web.Request, query: queries.ListQuery) -> tuple[Rendered, int]:
        """The rendered resources of one page, and how many match in all."""
        command = self.api.query(filter=query.filter, sort_by=query.sort_by, descending=query.descending,
                                 start_index=query.start_index, count=query.count,
                                 **self.api.read_options(query.selection))
        # A UserPage or a GroupPage, as api.page says: each has resources and total_results.
        page: Any = await self._ask(request, command, self.api.page, key=query_key(request[keys.TENANT_ID]))
        return [self._representation(request, record, query.selection) for record in page.resources], page.total_results

    async def _ask(self, request: web.Request, command: Message, result_type: type[ResultT], *,
                   key: str) -> ResultT:
        tenant_id = request[keys.TENANT_ID]
        reply = await request.app[keys.REQUESTER].ask(command, topic=self.api.topic, key=key, tenant_id=tenant_id)
        return unwrap(reply, result_type)

    async def _record(self, request: web.Request, command: Message, resource_id: str) -> Any:
        return await self._ask(request, command, self.api.record, key=self._key(request, resource_id))

    @staticmethod
    def _key(request: web.Request, resource_id: str) -> str:
        """Commands about one resource share its key, so they stay in order (contracts/topics.py)."""
        return resource_key(request[keys.TENANT_ID], resource_id)

    def _respond(self, request: web.Request, record: Any, status: int = 200) -> web.Response:
        body = self._representation(request, record, selection_of(request, self.api.schema))
        headers = {"ETag": etags.etag(record.version)}
        if status == 201:  # RFC 7644 §3.3; from the record, as attributes= may leave meta out of the body
            headers["Location"] = location(self.api.schema, record.id, request.app[keys.SETTINGS].scim_base_url)
        return scim_json(body, status=status, headers=headers)

    def _representation(self, request: web.Request, record: Any, selection: Selection) -> dict[str, Any]:
        rendered = render(record, self.api.schema, request.app[keys.SETTINGS].scim_base_url)
        return project(rendered, self.api.schema, selection)


def _id(request: web.Request) -> str:
    return request.match_info.get("id", "")


def _if_match(request: web.Request) -> str | None:
    # Published with the command: a tag with bytes that are not UTF-8 names no version (412), as it should.
    return header_text(request, "If-Match")


def asks_for_resource(request: web.Request) -> bool:
    """Whether the request names attributes to return (or leave out): what makes a PATCH answer 200."""
    return "attributes" in request.query or "excludedAttributes" in request.query


def selection_of(request: web.Request, schema: ResourceSchema) -> Selection:
    """attributes / excludedAttributes apply to every response carrying a resource (RFC 7644 §3.9)."""
    return parse_selection(schema, split_names(request.query.get("attributes")),
                           split_names(request.query.get("excludedAttributes")))
