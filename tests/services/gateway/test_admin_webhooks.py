"""Webhook endpoints, deliveries, replays and the events API in the admin API (issue 23): each call asks the
webhooks service on webhooks.commands, keyed by the caller's tenant; its refusals come back as 404 / 400
with its words; bad input is a 400 before anything is asked. The endpoints' lifecycle runs against the
real service and its stand-in alike; the rest against the stand-in, which records what it was asked and
holds the attempts and events a test gives it (webhooks_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from contracts.events.v1 import USER_CREATED, USER_DELETED, cloud_event
from contracts.topics import WEBHOOKS_COMMANDS
from contracts.webhooks.v1 import (
    DeliveryAttempt,
    DeliveryPage,
    Endpoint,
    EndpointCreated,
    EndpointList,
    EventPage,
    ListDeliveries,
    ListEvents,
    ReplayEvents,
    ReplayQueued,
)
from services.gateway.admin.answer_schemas import ANSWERS
from shared.messaging.memory import InMemoryBus
from tests.services.gateway.admin_support import (
    bearer,
    json_ok,
    start_gateway,
    tenant_with_admin,
)
from tests.services.gateway.webhooks_support import (
    DISABLED_BY_ADMIN,
    fake_webhooks_on,
    real_webhooks_on,
)

WEBHOOKS = "/admin/v1/tenant/webhooks"
HOOK = {"url": "https://hooks.acme.example/scim", "description": "Our HR system"}


@pytest.fixture
async def acme(gw) -> tuple[dict, dict[str, str]]:
    return await tenant_with_admin(gw)


@pytest.fixture(params=["stand-in", "real"])
async def service(request, memory_bus, tmp_path, clock) -> AsyncIterator[None]:
    """Either webhooks service answering: what the gateway answers must not depend on which."""
    running = (fake_webhooks_on(memory_bus, clock) if request.param == "stand-in"
               else real_webhooks_on(memory_bus, tmp_path, clock))
    async with running:
        yield


async def create(gw, admin: dict[str, str], **body) -> dict:
    return await json_ok(await gw.post(WEBHOOKS, json={**HOOK, **body}, headers=admin), 201)


async def refused(response, status: int = 400) -> str:
    assert response.status == status, await response.text()
    return (await response.json())["detail"]


async def test_an_endpoint_is_created_with_its_secret_shown_once_then_listed_shown_and_changed(gw, acme, service):
    _, admin = acme
    created = await create(gw, admin, event_types=[USER_CREATED])
    endpoint, secret = created["endpoint"], created["secret"]
    prefix = endpoint["secret_prefix"]
    assert secret.startswith(prefix) and prefix.startswith("whsec_") and len(secret) > len(prefix) + 20
    assert (endpoint["url"], endpoint["event_types"], endpoint["enabled"]) == (HOOK["url"], [USER_CREATED], True)
    listed = await json_ok(await gw.get(WEBHOOKS, headers=admin))
    assert listed == {"endpoints": [endpoint]} and secret not in str(listed)
    one = f"{WEBHOOKS}/{endpoint['id']}"
    assert await json_ok(await gw.get(one, headers=admin)) == endpoint  # the bare endpoint
    changed = await json_ok(await gw.patch(one, json={"enabled": False, "event_types": []}, headers=admin))
    assert (changed["enabled"], changed["disabled_reason"], changed["event_types"]) == (False, DISABLED_BY_ADMIN, [])
    assert changed["url"] == HOOK["url"]  # left out: unchanged


async def test_the_service_is_asked_on_its_topic_keyed_by_the_bare_tenant_id(gw, acme, webhooks, memory_bus):
    tenant, admin = acme
    await create(gw, admin)
    assert [tenant_id for tenant_id, _ in webhooks.received] == [tenant["tenant_id"]]
    assert await keys_on(memory_bus, WEBHOOKS_COMMANDS.name) == [tenant["tenant_id"].encode()]


async def keys_on(bus: InMemoryBus, topic: str) -> list[bytes | None]:
    async with bus.reader(topic, from_beginning=True) as reader:
        return [record.key for record in await reader.fetch(0)]


async def test_a_deleted_endpoint_is_a_404_with_the_services_reason(gw, acme, service):
    _, admin = acme
    endpoint_id = (await create(gw, admin))["endpoint"]["id"]
    one = f"{WEBHOOKS}/{endpoint_id}"
    deleted = await gw.delete(one, headers=admin)
    assert deleted.status == 204 and await deleted.read() == b""
    assert endpoint_id in await refused(await gw.get(one, headers=admin), 404)
    assert (await gw.delete(one, headers=admin)).status == 404


async def test_another_tenants_endpoint_is_not_found(gw, acme, service):
    _, admin = acme
    theirs = (await create(gw, admin))["endpoint"]["id"]
    _, other = await tenant_with_admin(gw, "globex")
    assert (await gw.get(f"{WEBHOOKS}/{theirs}", headers=other)).status == 404
    assert (await gw.patch(f"{WEBHOOKS}/{theirs}", json={"enabled": False}, headers=other)).status == 404
    assert await json_ok(await gw.get(WEBHOOKS, headers=other)) == {"endpoints": []}


async def test_a_url_or_event_type_the_service_refuses_is_a_400_with_its_reason(gw, acme, service):
    _, admin = acme
    detail = await refused(await gw.post(WEBHOOKS, json={"url": "http://hooks.acme.example"}, headers=admin))
    assert detail == "url: the URL must start with https://"
    detail = await refused(await gw.post(WEBHOOKS, json={**HOOK, "event_types": ["scimflow.user.sneezed"]},
                                         headers=admin))
    assert detail.startswith("event_types: unknown scimflow.user.sneezed")


@pytest.mark.parametrize("body", [
    {},
    {"url": ""},
    {"url": "https://x.example/" + "a" * 2048},
    {"url": "https://x.example", "event_types": "scimflow.user.created"},
    {"url": "https://x.example", "event_types": ["t"] * 51},
    {"url": "https://x.example", "description": "d" * 201},
    {"url": "https://x.example\x00"},
    {"url": "https://x.example", "secret": "whsec_mine"},
])
async def test_a_bad_new_endpoint_is_a_400_and_the_service_is_not_asked(gw, acme, webhooks, body):
    _, admin = acme
    assert await refused(await gw.post(WEBHOOKS, json=body, headers=admin))
    assert webhooks.received == []


@pytest.mark.parametrize("body", [{"enabled": "no"}, {"url": ""}, {"id": "ep_2"}, []])
async def test_a_bad_change_is_a_400(gw, acme, webhooks, body):
    _, admin = acme
    one = f"{WEBHOOKS}/{(await create(gw, admin))['endpoint']['id']}"
    assert await refused(await gw.patch(one, json=body, headers=admin))


async def test_deliveries_are_asked_with_the_outcome_and_page_given(gw, acme, webhooks, clock):
    _, admin = acme
    endpoint_id = (await create(gw, admin))["endpoint"]["id"]
    webhooks.add_attempts(endpoint_id, attempt("e2", 2, clock.now, 500, "HTTP 500"), attempt("e1", 1, clock.now, 200))
    page = await json_ok(await gw.get(f"{WEBHOOKS}/{endpoint_id}/deliveries?outcome=failed&startIndex=1&count=10",
                                      headers=admin))
    assert (page["total_results"], page["pending"]) == (1, 0)
    assert [(a["event_id"], a["status_code"], a["error"]) for a in page["attempts"]] == [("e2", 500, "HTTP 500")]
    assert webhooks.asked(ListDeliveries) == [ListDeliveries(endpoint_id=endpoint_id, outcome="failed", count=10)]


def attempt(event_id: str, number: int, at: datetime, status: int, error: str | None = None) -> DeliveryAttempt:
    return DeliveryAttempt(event_id=event_id, event_type=USER_CREATED, attempt=number, time=at, status_code=status,
                           latency_ms=12, succeeded=status < 300, error=error)


@pytest.mark.parametrize("query", ["?outcome=maybe", "?count=201", "?count=x", "?startIndex=0", "?colour=red"])
async def test_bad_delivery_queries_are_a_400(gw, acme, webhooks, query):
    _, admin = acme
    endpoint_id = (await create(gw, admin))["endpoint"]["id"]
    assert await refused(await gw.get(f"{WEBHOOKS}/{endpoint_id}/deliveries{query}", headers=admin))


async def test_a_replay_since_a_moment_or_of_some_events_answers_how_many_were_queued(gw, acme, webhooks, clock):
    tenant, admin = acme
    endpoint_id = (await create(gw, admin))["endpoint"]["id"]
    webhooks.events[tenant["tenant_id"]] = [event(tenant, f"e{n}", clock.now + timedelta(hours=n)) for n in range(3)]
    replay = f"{WEBHOOKS}/{endpoint_id}/replay"
    since = (clock.now + timedelta(hours=1)).isoformat()
    assert await json_ok(await gw.post(replay, json={"since": since}, headers=admin), 202) == {"queued": 2}
    assert await json_ok(await gw.post(replay, json={"event_ids": ["e0"]}, headers=admin), 202) == {"queued": 1}
    assert [(c.since, c.event_ids) for c in webhooks.asked(ReplayEvents)] == [
        (clock.now + timedelta(hours=1), None), (None, ["e0"])]


def event(tenant: dict, event_id: str, at: datetime, kind: str = USER_CREATED) -> dict:
    return cloud_event(kind, event_id=event_id, source="scimflow/user_store", subject="u1",
                       tenant_id=tenant["tenant_id"], time=at.isoformat(), data={"id": "u1"})


@pytest.mark.parametrize("body", [
    {},
    {"since": "2026-11-23T09:00:00Z", "event_ids": ["e1"]},
    {"since": "2026-11-23T09:00:00"},  # no offset: which moment is it?
    {"since": "yesterday"},
    {"since": 1700000000},
    {"event_ids": []},
])
async def test_a_replay_needs_exactly_one_of_since_and_event_ids(gw, acme, webhooks, body):
    _, admin = acme
    endpoint_id = (await create(gw, admin))["endpoint"]["id"]
    assert await refused(await gw.post(f"{WEBHOOKS}/{endpoint_id}/replay", json=body, headers=admin))
    assert webhooks.asked(ReplayEvents) == []


async def test_the_events_api_pages_with_a_cursor_and_types_given_comma_separated(gw, acme, webhooks, clock):
    tenant, admin = acme
    kinds = (USER_CREATED, USER_DELETED, USER_CREATED)
    webhooks.events[tenant["tenant_id"]] = [event(tenant, f"e{n}", clock.now, kind) for n, kind in enumerate(kinds)]
    first = await json_ok(await gw.get(f"/admin/v1/tenant/events?types={USER_CREATED},{USER_DELETED}&limit=2",
                                       headers=admin))
    assert [e["id"] for e in first["events"]] == ["e0", "e1"] and first["events"][0]["specversion"] == "1.0"
    rest = await json_ok(await gw.get("/admin/v1/tenant/events", params={"after": first["next_cursor"]},
                                      headers=admin))
    assert [e["id"] for e in rest["events"]] == ["e2"]
    assert webhooks.asked(ListEvents)[0] == ListEvents(types=[USER_CREATED, USER_DELETED], limit=2)


@pytest.mark.parametrize("query", ["?limit=0", "?limit=501", "?limit=ten", "?since=2026-01-01", "?after=" + "c" * 101])
async def test_bad_event_queries_are_a_400(gw, acme, webhooks, query):
    _, admin = acme
    assert await refused(await gw.get(f"/admin/v1/tenant/events{query}", headers=admin))


@pytest.mark.parametrize(("method", "path"), [
    ("GET", WEBHOOKS), ("POST", WEBHOOKS), ("GET", f"{WEBHOOKS}/ep_1"), ("PATCH", f"{WEBHOOKS}/ep_1"),
    ("DELETE", f"{WEBHOOKS}/ep_1"), ("GET", f"{WEBHOOKS}/ep_1/deliveries"), ("POST", f"{WEBHOOKS}/ep_1/replay"),
    ("GET", "/admin/v1/tenant/events"),
])
async def test_a_setup_links_session_cannot_reach_webhooks_or_events(gw, acme, webhooks, method, path):
    _, admin = acme
    link = await json_ok(await gw.post("/admin/v1/tenant/setup-link", json={}, headers=admin), 201)
    session = await json_ok(await gw.post("/admin/v1/setup/redeem", headers=bearer(link["setup_key"])))
    response = await gw.request(method, path, json=HOOK, headers=bearer(session["session_key"]))
    assert await refused(response, 403) == "A setup link opens the IdP setup screen only"
    assert webhooks.received == []


async def test_without_the_service_a_call_is_a_503_to_retry(aiohttp_client, memory_bus, tmp_path, clock):
    """No webhooks service answering (not deployed yet, or down): the gateway's timeout, never a hang."""
    gw = await start_gateway(aiohttp_client, memory_bus, tmp_path, clock, request_timeout=0.2)
    _, admin = await tenant_with_admin(gw)
    response = await gw.get(WEBHOOKS, headers=admin)
    assert response.status == 503 and response.headers["Retry-After"]


async def test_the_openapi_document_lists_the_routes_with_their_answers(gw):
    document = await json_ok(await gw.get("/openapi/admin.json"))
    answers = {(path, method): next(iter(operation["responses"].items()))
               for path, operations in document["paths"].items() for method, operation in operations.items()
               if "/webhooks" in path or path.endswith("/events")}
    refs = {where: response["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
            for where, (_, response) in answers.items() if "content" in response}
    assert refs == {
        (WEBHOOKS, "post"): "NewWebhookEndpointAnswer", (WEBHOOKS, "get"): "WebhookEndpoints",
        (f"{WEBHOOKS}/{{endpoint_id}}", "get"): "WebhookEndpoint",
        (f"{WEBHOOKS}/{{endpoint_id}}", "patch"): "WebhookEndpoint",
        (f"{WEBHOOKS}/{{endpoint_id}}/deliveries", "get"): "WebhookDeliveryPage",
        (f"{WEBHOOKS}/{{endpoint_id}}/replay", "post"): "ReplayQueuedAnswer",
        ("/admin/v1/tenant/events", "get"): "EventPage"}
    assert {status for status, _ in answers.values()} == {"200", "201", "202", "204"}
    events = {p["name"] for p in document["paths"]["/admin/v1/tenant/events"]["get"]["parameters"]}
    assert events == {"after", "types", "limit"}


@pytest.mark.parametrize(("schema", "result"), [
    ("WebhookEndpoint", Endpoint), ("NewWebhookEndpointAnswer", EndpointCreated), ("WebhookEndpoints", EndpointList),
    ("WebhookDeliveryAttempt", DeliveryAttempt), ("WebhookDeliveryPage", DeliveryPage),
    ("ReplayQueuedAnswer", ReplayQueued), ("EventPage", EventPage),
])
def test_the_answer_schemas_name_every_field_of_the_contracts_results(schema, result):
    """The views answer the service's results as they are: a field added to the contract shows here."""
    assert set(ANSWERS[schema]["required"]) == set(result.model_fields)
