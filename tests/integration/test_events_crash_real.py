"""Issue 23, "done when" 3, on the real system: kill -9 of the webhooks service and of the user store in the
middle of a 1 000-user import; after they are started again, no event is missing, neither on the topic
nor at a webhook receiver (each user's ``scimflow.user.created`` is there, under one id, at least once).

The import goes on as an IdP's would: a create that got no answer (503 while the store was down) is sent
again, and a 409 to a repeat means the first one was committed."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict

import aiohttp
import pytest
from aiohttp import web
from aiokafka import AIOKafkaConsumer

from contracts.topics import EVENTS
from shared.devtools.local_kafka import free_port
from tests.idp_flows.bodies import OKTA_HEADERS, okta_user, unique
from tests.integration.conftest import FAST_RETRIES, create_tenant, subscribe_product
from tests.integration.test_entra_sets_real import admin_of
from tests.integration.test_webhooks_real import serve

pytestmark = pytest.mark.integration

USERS = 1000
AT_ONCE = 16
KILL_AFTER = 300  # creates answered before the crash


class Importer:
    def __init__(self, session: aiohttp.ClientSession, tenant: dict) -> None:
        self.session, self.base = session, tenant["scim_base_url"]
        self.headers = {**OKTA_HEADERS, "Authorization": f"Bearer {tenant['token']}"}
        self.answered = 0
        self.crossed = asyncio.Event()

    async def create(self, user_name: str) -> None:
        """Until the IdP knows the user exists: 201, or 409 to a repeat of a create that was committed."""
        answer = None
        for _ in range(200):
            try:
                async with self.session.post(f"{self.base}/Users", json=okta_user(user_name),
                                             headers=self.headers) as response:
                    answer = (response.status, await response.text())
                    if response.status in (201, 409):
                        self.answered += 1
                        if self.answered >= KILL_AFTER:
                            self.crossed.set()
                        return
                    # 429 (the tenant's rate) and 5xx (the store away) are retried, as an IdP does; a refusal is
                    # the test's mistake, not the crash's
                    assert response.status == 429 or response.status >= 500, answer
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.25)
        raise AssertionError(f"{user_name} was never created; the last answer: {answer}")

    async def run(self, names: list[str]) -> None:
        lanes = asyncio.Semaphore(AT_ONCE)

        async def one(name: str) -> None:
            async with lanes:
                await self.create(name)

        await asyncio.gather(*(one(name) for name in names))

    async def user_ids(self) -> set[str]:
        ids: set[str] = set()
        start = 1
        while True:
            async with self.session.get(f"{self.base}/Users", params={"startIndex": str(start), "count": "200"},
                                        headers=self.headers) as response:
                page = await response.json()
            ids |= {user["id"] for user in page["Resources"]}
            if start + len(page["Resources"]) > page["totalResults"] or not page["Resources"]:
                return ids
            start += len(page["Resources"])


async def created_on_the_topic(servers: str, tenant_id: str, users: set[str]) -> dict[str, set[str]]:
    """Each of these users' user.created event ids on the stream, read from its start."""
    found: dict[str, set[str]] = defaultdict(set)
    consumer = AIOKafkaConsumer(EVENTS.name, bootstrap_servers=servers, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        async with asyncio.timeout(120):
            while not users <= set(found):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        event = json.loads(record.value)
                        if event["tenantid"] == tenant_id and event["type"] == "scimflow.user.created":
                            found[event["subject"]].add(event["id"])
    finally:
        await consumer.stop()
    return found


async def test_no_event_is_lost_when_the_store_and_the_webhooks_service_are_killed_mid_import(
        make_system, kafka_bootstrap_servers):
    system = make_system(**FAST_RETRIES)
    await asyncio.to_thread(system.start)
    tenant = await asyncio.to_thread(create_tenant, system, "crash")
    await asyncio.to_thread(subscribe_product, system, tenant["tenant_id"], "Sales", USERS)  # Okta's users hold one
    received: dict[str, set[str]] = defaultdict(set)

    async def receive(request: web.Request) -> web.Response:
        event = await request.json()
        if event["type"] == "scimflow.user.created":
            received[event["subject"]].add(request.headers["webhook-id"])
        return web.Response(status=204)

    port, receiver = free_port(), web.Application()
    receiver.router.add_post("/in", receive)
    runner = await serve(receiver, port)
    try:
        async with aiohttp.ClientSession() as session:
            admin = {"Authorization": f"Bearer {await admin_of(session, system, tenant['tenant_id'])}"}
            async with session.post(f"{system.base_url}/admin/v1/tenant/webhooks", headers=admin,
                                    json={"url": f"http://127.0.0.1:{port}/in"}) as response:
                assert response.status == 201, await response.text()
            importer = Importer(session, tenant)
            importing = asyncio.create_task(importer.run([f"{unique('crash.')}@example.com" for _ in range(USERS)]))
            await asyncio.wait({importing, asyncio.ensure_future(importer.crossed.wait())},
                               return_when=asyncio.FIRST_COMPLETED)
            assert not importing.done(), "the import ended before the crash"
            crashed = [p for p in system.processes if p.service in ("user_store", "webhooks")]
            for process in crashed:
                process.kill()  # SIGKILL: nothing is flushed, nothing is said goodbye
                system.processes.remove(process)
            await asyncio.sleep(1)
            for process in crashed:  # under their names, as an operator's restart does: they rejoin at once
                system.start_service(process.service, process.instance_id)
            await importing
            users = await importer.user_ids()
        assert len(users) == USERS
        on_topic = await created_on_the_topic(kafka_bootstrap_servers, tenant["tenant_id"], users)

        async def all_received() -> None:
            while not users <= set(received):
                await asyncio.sleep(0.2)
        async with asyncio.timeout(120):
            await all_received()
    finally:
        await runner.cleanup()
    assert set(on_topic) == users and all(len(ids) == 1 for ids in on_topic.values())  # one id per change
    assert {user: ids for user, ids in received.items() if user in users} == dict(on_topic)
