"""Issue 25 on the real system: two webhooks processes, started as an operator starts them with
SCIMFLOW_DATABASE_URL, keep their history and deliveries in PostgreSQL (the webhooks schema there, no SQLite
file), take an endpoint's creation from the real broker, file the events scimflow.events carries (a repeat
once) and deliver each to a receiver this test runs once, whichever copy sends it."""

from __future__ import annotations

import asyncio
from collections import Counter

import orjson
import pytest
from aiohttp import web

from contracts.topics import EVENTS, WEBHOOKS_COMMANDS, resource_key
from contracts.webhooks.v1 import CreateEndpoint, EndpointCreated
from shared.devtools.local_kafka import free_port
from shared.devtools.local_postgres import fetch_rows
from shared.messaging.kafka import KafkaBus
from shared.messaging.requester import unwrap
from tests.integration.kafka_ask import ask_many
from tests.support.webhooks import event

pytestmark = pytest.mark.integration

TENANT = "t-pg-webhooks"


class Receiver:
    """The tenant's endpoint: counts each delivery by its ``webhook-id``."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    async def handle(self, request: web.Request) -> web.Response:
        self.sent[request.headers["webhook-id"]] += 1
        return web.Response(text="ok")


async def receiving(receiver: Receiver, port: int) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def publish(bootstrap_servers: str, *events: dict) -> None:
    async with KafkaBus(bootstrap_servers, client_id="test-events").publisher() as publisher:
        for sent in events:
            await publisher.send(EVENTS.name, orjson.dumps(sent), key=resource_key(TENANT, sent["subject"]), headers=[])


async def filed_event_ids(database_url: str) -> list[str]:
    return sorted(row[0] for row in await fetch_rows(database_url, "SELECT id FROM webhooks.events WHERE tenant_id = $1",
                                                     TENANT))

async def test_two_webhooks_copies_on_postgres_file_and_deliver_each_event_once(make_system, postgres_url):
    system = make_system(SCIMFLOW_DATABASE_URL=postgres_url, SCIMFLOW_WEBHOOKS_POLL_SECONDS="0.2")
    system.start_service("webhooks", "webhooks-1")
    system.start_service("webhooks", "webhooks-2")
    system.wait_healthy(timeout=120)  # joined its group: a command sent sooner could outlive its deadline
    receiver, port = Receiver(), free_port()
    runner = await receiving(receiver, port)
    try:
        [reply], _ = await ask_many(system.bootstrap_servers, [
            (CreateEndpoint(url=f"http://127.0.0.1:{port}/hook"), WEBHOOKS_COMMANDS.name, TENANT)], tenant_id=TENANT)
        unwrap(reply, EndpointCreated)
        first, second = (event(subject, tenant=TENANT, event_id=f"{TENANT}-{subject}") for subject in ("u1", "u2"))
        await publish(system.bootstrap_servers, first, second, first)  # the first twice: a relay's repeat
        async with asyncio.timeout(90):
            while set(receiver.sent) != {first["id"], second["id"]}:
                await asyncio.sleep(0.2)
        await asyncio.to_thread(system.stop)  # each copy ends its deliveries in flight before we count
    finally:
        await runner.cleanup()
    assert receiver.sent == Counter({first["id"]: 1, second["id"]: 1})
    assert await filed_event_ids(postgres_url) == sorted([first["id"], second["id"]])
    assert not list(system.data_dir.rglob("*.sqlite3"))  # nothing of it on this host's disk
