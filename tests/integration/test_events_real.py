"""Issue 23, "done when" 1 (the stream's half), on the real system: an Okta-style create / update /
deactivate / reactivate of one user and an Entra-style group push with members produce exactly the
expected event types per subject, in order, on ``scimflow.events``, read by the README's own plain
aiokafka consumer (docs/examples/consume_events.py, which the README shows verbatim)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sqlite3
import uuid
from collections import defaultdict
from pathlib import Path

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.events.v1 import parse_event
from contracts.topics import EVENTS
from shared.devtools.launcher import System
from tests.idp_flows import entra, okta
from tests.idp_flows.bodies import OKTA_HEADERS, entra_user, unique
from tests.idp_flows.client import ScimClient
from tests.integration.conftest import create_tenant, subscribe_product

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "consume_events.py"

USER, GROUP = "scimflow.user.", "scimflow.group."
OKTA_USER = [USER + kind for kind in ("created", "updated", "deactivated", "reactivated", "deactivated",
                                      "reactivated")]
ENTRA_GROUP = [GROUP + kind for kind in ("created", "members_added", "members_removed", "updated", "deleted")]


def test_the_readme_shows_the_example_consumer_verbatim():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    assert EXAMPLE.read_text() in blocks


def the_example():
    spec = importlib.util.spec_from_file_location("consume_events", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scim_client(session: aiohttp.ClientSession, tenant: dict) -> ScimClient:
    return ScimClient(session, tenant["scim_base_url"], {"Authorization": f"Bearer {tenant['token']}"})


async def okta_session(scim: ScimClient) -> str:
    """Okta: look-up and create (and the refused second create), PUT profile push (and its re-send),
    PATCH and PUT deactivation and reactivation (and their re-sends)."""
    client = scim.with_headers(OKTA_HEADERS)
    user = await okta.assign_user(client, f"{unique('okta.')}@example.com")
    user = await okta.update_profile(client, user)
    await okta.deactivate_and_reactivate(client, user)
    return user["id"]


async def entra_session(scim: ScimClient) -> list[str]:
    """Entra: two users matched or created, then a group created empty, members added, one removed, the
    group renamed and hard-deleted (each PATCH re-sent as the next cycle does)."""
    job = entra.Entra.job(scim, flag=False)
    users = [await entra.match_or_create(job, entra_user(f"{unique('entra.')}@contoso.com")) for _ in range(2)]
    await entra.provision_group(job, *(user["id"] for user in users))
    return [user["id"] for user in users]


def outbox_left(system: System) -> int:
    with sqlite3.connect(system.data_dir / "user_store" / "users.sqlite3") as connection:
        return connection.execute("SELECT count(*) FROM event_outbox").fetchone()[0]


async def consumed_to_the_end(servers: str, group_id: str) -> bool:
    """Whether the group has committed every record the topic holds (the example commits after each)."""
    probe = AIOKafkaConsumer(bootstrap_servers=servers)
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await probe.start()
    await admin.start()
    try:
        partitions = [TopicPartition(EVENTS.name, p) for p in range(EVENTS.partitions)]
        ends = await probe.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group_id)
        return all(ends[tp] == 0 or (tp in committed and committed[tp].offset >= ends[tp]) for tp in partitions)
    finally:
        await probe.stop()
        await admin.close()


async def until(predicate, timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.2)


async def test_idp_sessions_emit_each_subjects_events_in_order(running_system, kafka_bootstrap_servers):
    okta_tenant, entra_tenant = await asyncio.gather(asyncio.to_thread(create_tenant, running_system, "okta-co"),
                                                     asyncio.to_thread(create_tenant, running_system, "entra-co"))
    await asyncio.to_thread(subscribe_product, running_system, okta_tenant["tenant_id"], "Sales", 5)
    tenants = {okta_tenant["tenant_id"], entra_tenant["tenant_id"]}
    received: list[dict] = []

    async def handle(event: dict) -> None:
        if event["tenantid"] in tenants:
            received.append(event)

    group_id = f"test-events-{uuid.uuid4().hex}"
    consumer = asyncio.create_task(the_example().consume(handle, kafka_bootstrap_servers, group_id))
    try:
        async with aiohttp.ClientSession() as session:
            okta_user = await okta_session(scim_client(session, okta_tenant))
            entra_users = await entra_session(scim_client(session, entra_tenant))

        async def all_read() -> bool:  # every committed event published, and the consumer past all of them
            return (await asyncio.to_thread(outbox_left, running_system) == 0
                    and await consumed_to_the_end(kafka_bootstrap_servers, group_id))
        await until(all_read)
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)

    by_subject: dict[str, list[str]] = defaultdict(list)
    for event in received:  # the example already dropped redelivered ids
        by_subject[event["subject"]].append(event["type"])
        assert parse_event(json.dumps(event)).id == event["id"]  # each one the contract's
    groups = [subject for subject, types in by_subject.items() if types[0].startswith(GROUP)]
    assert len(groups) == 1
    assert dict(by_subject) == {okta_user: OKTA_USER, **{user: [USER + "created"] for user in entra_users},
                                groups[0]: ENTRA_GROUP}
    assert {event["tenantid"] for event in received if event["subject"] == okta_user} == {okta_tenant["tenant_id"]}
    assert all(event["specversion"] == "1.0" and event["source"] == "scimflow/user_store" for event in received)
