"""Issue 23 on the real system (every service its own process, the real broker): the events API returns
each subject's events in commit order ("done when" 1, its second half), and a webhook receiver that
answers 503 for a minute then 200 receives every event, signed (verified with the `standardwebhooks`
package, not our code), each id at least once and, after dedupe, once, in order per subject, while the
deliveries endpoint shows the failed attempts ("done when" 2). The receiver is the README's own
(docs/examples/webhook_receiver.py), behind a middleware that answers 503 for the first minute."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import time
from collections import defaultdict
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from shared.devtools.local_kafka import free_port
from tests.integration.conftest import create_tenant, subscribe_product
from tests.integration.test_entra_sets_real import admin_of
from tests.integration.test_events_real import (
    ENTRA_GROUP,
    OKTA_USER,
    entra_session,
    okta_session,
    scim_client,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "webhook_receiver.py"
OUTAGE_SECONDS = 60


def the_example():
    spec = importlib.util.spec_from_file_location("webhook_receiver", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_shows_the_example_receiver_verbatim():
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert EXAMPLE.read_text() in blocks


def provisioning_types(events: list[dict]) -> dict[str, list[str]]:
    """Each subject's user and group event types, in the order given."""
    by_subject: dict[str, list[str]] = defaultdict(list)
    for event in events:
        if event["type"].startswith(("scimflow.user.", "scimflow.group.")):
            by_subject[event["subject"]].append(event["type"])
    return dict(by_subject)


def expected(okta_user: str, entra_users: list[str], by_subject: dict[str, list[str]]) -> dict[str, list[str]] | None:
    """The Okta user's and the Entra users' events, and the one group's (None until there is one)."""
    groups = [subject for subject in by_subject if subject not in (okta_user, *entra_users)]
    if len(groups) != 1:
        return None
    return {okta_user: OKTA_USER, **{user: ["scimflow.user.created"] for user in entra_users}, groups[0]: ENTRA_GROUP}


class Admin:
    """A tenant admin on the admin API, with the tenant's SCIM token for its IdP."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, admin_key: str, tenant: dict) -> None:
        self.session, self.base, self.tenant = session, f"{base_url}/admin/v1/tenant", tenant
        self.headers = {"Authorization": f"Bearer {admin_key}"}

    @classmethod
    async def of_new_tenant(cls, session: aiohttp.ClientSession, system, name: str) -> Admin:
        tenant = await asyncio.to_thread(create_tenant, system, name)
        return cls(session, system.base_url, await admin_of(session, system, tenant["tenant_id"]), tenant)

    async def call(self, method: str, path: str, status: int = 200, **kwargs) -> dict:
        async with self.session.request(method, self.base + path, headers=self.headers, **kwargs) as response:
            assert response.status == status, await response.text()
            return await response.json() if response.status != 204 else {}

    async def all_events(self) -> list[dict]:
        """Every event of the tenant through the events API, a few a page."""
        events, cursor = [], None
        while True:
            page = await self.call("GET", "/events", params={"limit": "7", **({"after": cursor} if cursor else {})})
            if not page["events"]:
                return events
            events, cursor = events + page["events"], page["next_cursor"]


async def until(condition, timeout: float = 60.0, interval: float = 0.2) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(interval)


async def idp_traffic(system, session: aiohttp.ClientSession) -> tuple[list[Admin], str, list[str]]:
    """An Okta tenant's session (its user holds a Sales seat) and an Entra tenant's, each tenant with an admin."""
    okta, entra = [await Admin.of_new_tenant(session, system, name) for name in ("okta-co", "entra-co")]
    await asyncio.to_thread(subscribe_product, system, okta.tenant["tenant_id"], "Sales", 5)
    return ([okta, entra], await okta_session(scim_client(session, okta.tenant)),
            await entra_session(scim_client(session, entra.tenant)))


async def events_of(admins: list[Admin]) -> list[dict]:
    return [event for admin in admins for event in await admin.all_events()]


async def test_the_events_api_returns_each_subjects_events_in_commit_order(running_system):
    async with aiohttp.ClientSession() as session:
        admins, okta_user, entra_users = await idp_traffic(running_system, session)

        async def all_there() -> bool:
            by_subject = provisioning_types(await events_of(admins))
            return by_subject == expected(okta_user, entra_users, by_subject)
        await until(all_there)
        okta_events, entra_events = [await admin.all_events() for admin in admins]
    events = okta_events + entra_events
    assert len({event["id"] for event in events}) == len(events)  # each once
    assert {event["tenantid"] for event in okta_events} == {admins[0].tenant["tenant_id"]}
    assert okta_user in {event["subject"] for event in okta_events}


class Outage:
    """A middleware in front of the README's receiver: 503 for the first minute, then the receiver answers
    (it verifies each signature with the standardwebhooks package: a bad one is a 400, retried, never handled)."""

    def __init__(self) -> None:
        self.ends = time.monotonic() + OUTAGE_SECONDS
        self.refused = self.rejected = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        if time.monotonic() < self.ends:
            self.refused += 1
            return web.Response(status=503)
        response = await handler(request)
        self.rejected += response.status == 400
        return response


async def serve(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_a_receiver_down_for_a_minute_gets_every_event_once_in_order(scheduled_system):
    """On the system whose webhook retries are a few seconds apart (FAST_RETRIES in its ``scheduled_env``), so
    the test ends soon after the outage."""
    system = scheduled_system
    handled: list[dict] = []

    async def handle(event: dict) -> None:
        handled.append(event)

    outage, runners, endpoints = Outage(), [], []
    async with aiohttp.ClientSession() as session:
        admins = [await Admin.of_new_tenant(session, system, name) for name in ("okta-co", "entra-co")]
        try:
            for admin in admins:  # each tenant's endpoint: the README's receiver with its secret, behind the outage
                port = free_port()
                created = await admin.call("POST", "/webhooks", status=201,
                                           json={"url": f"http://127.0.0.1:{port}/scimflow", "description": "test"})
                receiver = the_example().receiver(created["secret"], handle)
                receiver.middlewares.append(outage.middleware)
                runners.append(await serve(receiver, port))
                endpoints.append(created["endpoint"]["id"])
            okta, entra = admins
            await asyncio.to_thread(subscribe_product, system, okta.tenant["tenant_id"], "Sales", 5)
            okta_user = await okta_session(scim_client(session, okta.tenant))
            entra_users = await entra_session(scim_client(session, entra.tenant))
            events: list[dict] = []

            async def all_handled() -> bool:
                nonlocal events
                events = await events_of(admins)
                return (provisioning_types(events) == expected(okta_user, entra_users, provisioning_types(events))
                        and {event["id"] for event in handled} == {event["id"] for event in events})
            await until(all_handled, timeout=OUTAGE_SECONDS + 90, interval=1.0)
            failed = [await admin.call("GET", f"/webhooks/{endpoint}/deliveries", params={"outcome": "failed",
                                                                                         "count": "200"})
                      for admin, endpoint in zip(admins, endpoints, strict=True)]
        finally:
            for runner in runners:
                await runner.cleanup()
    assert outage.refused > 0 and outage.rejected == 0
    assert len({event["id"] for event in handled}) == len(handled)  # the receiver's dedupe: once each
    for subject, types in provisioning_types(events).items():  # in commit order per subject, as the API lists
        assert [e["type"] for e in handled if e["subject"] == subject and e["type"] in types] == types
    attempts = [attempt for page in failed for attempt in page["attempts"]]
    assert sum(page["total_results"] for page in failed) == outage.refused
    assert attempts and all(attempt["status_code"] == 503 and not attempt["succeeded"]
                            and attempt["error"].startswith("HTTP 503") for attempt in attempts)


async def test_a_replaced_token_and_a_changed_connection_are_events(running_system):
    """Token and connection events come from the tenant records the gateway writes (source scimflow/tenants)."""
    async with aiohttp.ClientSession() as session:
        admin = await Admin.of_new_tenant(session, running_system, "rotating")
        old_prefix = (await admin.call("GET", "/token"))["prefix"]
        await admin.call("PUT", "/connection", json={"idp_type": "entra_id"})
        new_token = (await admin.call("POST", "/token", status=201, json={"expires_in_days": 90, "replace": True}))
        events: list[dict] = []

        async def all_there() -> bool:
            nonlocal events
            events = [e for e in await admin.all_events() if e["source"] == "scimflow/tenants"]
            return len(events) >= 3
        await until(all_there)
    assert sorted((e["type"], e["data"].get("reason") or e["data"].get("idp_type")) for e in events) == [
        ("scimflow.connection.changed", "entra_id"), ("scimflow.token.replaced", None),
        ("scimflow.token.revoked", "replaced")]
    replaced = next(e for e in events if e["type"] == "scimflow.token.replaced")
    assert replaced["subject"] in new_token["token"] and replaced["data"]["replaced_token_id"] in old_prefix
