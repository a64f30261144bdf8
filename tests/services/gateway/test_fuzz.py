"""Fuzzing the gateway with the real services on the in-memory bus (issue 28).

SCIM: Hypothesis draws user and group bodies, filters, PATCH operations and headers (most near-valid,
some junk; tests/support/scim_strategies.py). Whatever arrives, the answer is no 5xx, every 4xx is an
RFC 7644 §3.12 Error (its schemas, the status as a string, a detail), no traceback shows, and a normal
call is answered afterwards. The admin API: schemathesis draws valid and invalid calls from its own
OpenAPI document (bodies, query and path parameters) and checks each answer against it: no 5xx, a
documented status, and the documented schema (the Error's, and the main answers').

Hypothesis runs in a thread while the test server's event loop serves the calls. Each test has a fixed
number of examples drawn the same way on every run (derandomize), so CI is reproducible.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.gateway.app import create_app
from services.gateway.tenancy.access import on_setup_screen
from shared.messaging.memory import InMemoryBus
from tests.conftest import gateway_settings
from tests.services.gateway.admin_support import (
    OPERATOR,
    bearer,
    json_ok,
    start_gateway,
    tenant_with_admin,
)
from tests.support.clock import FakeClock
from tests.support.scim_strategies import (
    GROUP,
    SEARCH,
    USER,
    Call,
    filters,
    group_bodies,
    headers,
    listing_params,
    patch_bodies,
    raw_bodies,
    resource_id,
    user_bodies,
)

pytestmark = pytest.mark.usefixtures("user_store", "sync_status")

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def fuzz(examples: int):
    """A fixed number of examples, the same ones on every run; no deadline (the machine is shared)."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None, print_blob=False,
                    suppress_health_check=list(HealthCheck))


@dataclass
class Scim:
    """One tenant's SCIM endpoint, called from Hypothesis's thread onto the server's loop."""

    client: TestClient
    auth: dict[str, str]
    loop: asyncio.AbstractEventLoop
    user_id: str
    group_id: str

    def check(self, call: Call) -> None:
        status, content_type, text = asyncio.run_coroutine_threadsafe(self._send(call), self.loop).result(60)
        where = f"{call.method} {call.path} {call.params} -> {status} {text[:300]}"
        assert status < 500, where
        assert "Traceback (most recent call last)" not in text, where
        if status >= 400:
            body = json.loads(text)
            assert content_type.startswith("application/scim+json"), where
            assert body["schemas"] == [ERROR] and body["status"] == str(status), where
            assert isinstance(body["detail"], str) and body["detail"], where

    async def _send(self, call: Call) -> tuple[int, str, str]:
        data = call.data if call.data is not None else (None if call.json is None else json.dumps(call.json).encode())
        sent = {"Content-Type": "application/scim+json", **self.auth, **call.headers}
        async with self.client.request(call.method, call.path, params=call.params, data=data,
                                       headers=sent) as response:
            return response.status, response.headers.get("Content-Type", ""), await response.text(errors="replace")

    async def still_serving(self) -> None:
        user_name = f"after-{uuid.uuid4().hex}@acme.example"
        created = await self.client.post("/scim/v2/Users", json={"schemas": [USER], "userName": user_name},
                                         headers=self.auth)
        assert created.status == 201, await created.text()
        found = await json_ok(await self.client.get("/scim/v2/Users", params={"filter": f'userName eq "{user_name}"'},
                                                    headers=self.auth))
        assert found["totalResults"] == 1


@pytest.fixture
async def gateway(aiohttp_client, memory_bus: InMemoryBus, tmp_path: Path):
    """The root fixture's app, waiting longer for the services: on a loaded machine its 2 s would end in a
    503 now and then, a flake rather than a finding (the calls themselves take milliseconds)."""
    return await aiohttp_client(create_app(gateway_settings(tmp_path, request_timeout=10.0), bus=memory_bus))


@pytest.fixture
async def scim(gateway, tenant, auth) -> Scim:
    """The tenant's rate out of the way (the fuzz sends hundreds of calls a second), one user in one group."""
    await json_ok(await gateway.put(f"/admin/v1/tenants/{tenant['tenant_id']}/rate-limit",
                                    json={"requests_per_second": 100_000}, headers=OPERATOR))
    user = await json_ok(await gateway.post("/scim/v2/Users", json={"schemas": [USER], "userName": "jane@acme.example"},
                                            headers=auth), 201)
    group = await json_ok(await gateway.post("/scim/v2/Groups", headers=auth, json={
        "schemas": [GROUP], "displayName": "Fuzzers", "members": [{"value": user["id"]}]}), 201)
    return Scim(gateway, auth, asyncio.get_running_loop(), user["id"], group["id"])


def with_headers(calls: st.SearchStrategy[Call]) -> st.SearchStrategy[Call]:
    return st.builds(lambda call, extra: Call(**{**call.__dict__, "headers": extra}), calls, headers)


def user_writes(user_id: str) -> st.SearchStrategy[Call]:
    one_user = resource_id(user_id).map(lambda i: f"/scim/v2/Users/{i}")
    return with_headers(st.one_of(
        user_bodies.map(lambda body: Call("POST", "/scim/v2/Users", json=body)),
        st.builds(lambda path, body: Call("PUT", path, json=body), one_user, user_bodies),
        st.builds(lambda path, body: Call("PATCH", path, json=body), one_user, patch_bodies),
        st.builds(lambda method, path, data: Call(method, path, data=data),
                  st.sampled_from(["POST", "PUT", "PATCH"]), one_user, raw_bodies())))


def queries(user_id: str) -> st.SearchStrategy[Call]:
    search = st.fixed_dictionaries({"schemas": st.just([SEARCH])}, optional={
        "filter": filters, "startIndex": st.integers(-5, 10**12), "count": st.integers(-5, 10**6),
        "attributes": st.lists(st.text(max_size=20), max_size=3), "sortBy": st.text(max_size=20)})
    return with_headers(st.one_of(
        st.builds(lambda kind, params: Call("GET", f"/scim/v2/{kind}", params=params),
                  st.sampled_from(["Users", "Groups", "users"]), listing_params),
        st.builds(lambda kind, body: Call("POST", f"/scim/v2/{kind}/.search", json=body),
                  st.sampled_from(["Users", "Groups"]), search),
        search.map(lambda body: Call("POST", "/scim/v2/.search", json=body)),
        st.builds(lambda i, params: Call("GET", f"/scim/v2/Users/{i}", params=params), resource_id(user_id),
                  listing_params)))


def group_writes(user_id: str, group_id: str) -> st.SearchStrategy[Call]:
    one_group = resource_id(group_id).map(lambda i: f"/scim/v2/Groups/{i}")
    bodies = group_bodies(resource_id(user_id))
    return with_headers(st.one_of(
        bodies.map(lambda body: Call("POST", "/scim/v2/Groups", json=body)),
        st.builds(lambda path, body: Call("PUT", path, json=body), one_group, bodies),
        st.builds(lambda path, body: Call("PATCH", path, json=body), one_group, patch_bodies),
        st.builds(lambda path, params: Call("GET", path, params=params), one_group, listing_params)))


async def test_scim_user_bodies_and_patches(scim):
    @fuzz(examples=400)
    @given(user_writes(scim.user_id))
    def fuzzed(call: Call) -> None:
        scim.check(call)

    await asyncio.to_thread(fuzzed)
    await scim.still_serving()


async def test_scim_filters_and_listings(scim):
    @fuzz(examples=400)
    @given(queries(scim.user_id))
    def fuzzed(call: Call) -> None:
        scim.check(call)

    await asyncio.to_thread(fuzzed)
    await scim.still_serving()


async def test_scim_group_bodies_and_patches(scim):
    @fuzz(examples=250)
    @given(group_writes(scim.user_id, scim.group_id))
    def fuzzed(call: Call) -> None:
        scim.check(call)

    await asyncio.to_thread(fuzzed)
    await scim.still_serving()


# --- the admin API, from its OpenAPI document ----------------------------------------------------

ADMIN_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


async def test_the_admin_api_answers_as_its_openapi_document_says(aiohttp_client, memory_bus: InMemoryBus,
                                                                  tmp_path: Path, notifier, real_webhooks):
    """Every operation, valid and invalid calls, with real credentials: the operator key on operator
    routes, an admin's key (or a setup session on the setup screen's) on the tenant admin's."""
    gw = await start_gateway(aiohttp_client, memory_bus, tmp_path, FakeClock(), admin_rate_limit_per_second=100_000,
                             request_timeout=10.0)
    tenant, admin = await tenant_with_admin(gw)
    link = await json_ok(await gw.post("/admin/v1/tenant/setup-link", json={}, headers=admin), 201)
    session = bearer((await json_ok(await gw.post("/admin/v1/setup/redeem", headers=bearer(link["setup_key"]))))
                     ["session_key"])
    schema = schemathesis.openapi.from_dict(await json_ok(await gw.get("/openapi/admin.json")))
    operations = [result.ok() for result in schema.get_all_operations()]
    base_url = str(gw.make_url("")).rstrip("/")

    def credentials(case, as_session: bool) -> dict[str, str]:
        if case.path.startswith("/admin/v1/tenants"):
            return OPERATOR
        if case.path.startswith("/admin/v1/tenant"):
            return session if as_session and on_setup_screen(case.method.upper(), case.path) else admin
        return {}  # redeeming: the drawn bearer, never a link's

    cases = st.sampled_from(operations).flatmap(lambda operation: st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)))

    @fuzz(examples=600)
    @given(case=cases, real_tenant=st.booleans(), as_session=st.booleans())
    def fuzzed(case, real_tenant: bool, as_session: bool) -> None:
        if real_tenant and "tenant_id" in (case.path_parameters or {}):
            case.path_parameters["tenant_id"] = tenant["tenant_id"]
        case.headers = {**(case.headers or {}), **credentials(case, as_session)}
        response = case.call(base_url=base_url, timeout=30)
        case.validate_response(response, checks=ADMIN_CHECKS)
        assert "Traceback (most recent call last)" not in response.text

    await asyncio.to_thread(fuzzed)
    await json_ok(await gw.get("/admin/v1/tenants", headers=OPERATOR))
    await json_ok(await gw.get("/admin/v1/tenant", headers=admin))
