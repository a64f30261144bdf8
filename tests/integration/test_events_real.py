"""Issue 23, "done when" 1 (the stream's half), on the real system: an Okta-style create / update /
deactivate / reactivate of one user and an Entra-style group push with members produce exactly the
expected event types per subject, in order, on ``scimflow.events``, read by the README's own plain
aiokafka consumer (docs/examples/consume_events.py, which the README shows verbatim). The user's seats
come from the seat allocator, each seat taken, freed or refused an event of its own (per subject and
service in commit order; a user's seat and user events, from two services, keep no order between them)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.events.v1 import parse_event
from contracts.topics import EVENTS
from shared.devtools.launcher import System
from tests.idp_flows import entra, okta
from tests.idp_flows.bodies import OKTA_HEADERS, entra_user, op, patch, unique
from tests.idp_flows.bodies import okta_user as okta_body
from tests.idp_flows.client import ScimClient
from tests.integration.conftest import create_tenant, subscribe_product

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "consume_events.py"

USER, GROUP, SEAT = "scimflow.user.", "scimflow.group.", "scimflow.seat."
OKTA_USER = [USER + kind for kind in ("created", "updated", "deactivated", "reactivated", "deactivated",
                                      "reactivated")]
#: The Okta user's seat of Sales: taken at the create and each reactivation, freed at each deactivation.
OKTA_SEATS = [SEAT + kind for kind in ("assigned", "released", "assigned", "released", "assigned")]
STORE, ALLOCATOR = "scimflow/user_store", "scimflow/seat_allocator"
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
    """Events committed and not yet published, in the user store's file and the seat allocator's."""
    left = 0
    for database in ("user_store/users.sqlite3", "seat_allocator/seats.sqlite3"):
        with sqlite3.connect(system.data_dir / database) as connection:
            left += connection.execute("SELECT count(*) FROM event_outbox").fetchone()[0]
    return left


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


@asynccontextmanager
async def reading(system: System, servers: str, tenants: set[str]) -> AsyncIterator[list[dict]]:
    """The example consumer, in a group of its own, collecting the events of ``tenants``; at the end of the
    block it waits until every committed event is published and read."""
    received: list[dict] = []

    async def handle(event: dict) -> None:
        if event["tenantid"] in tenants:
            received.append(event)

    group_id = f"test-events-{uuid.uuid4().hex}"
    consumer = asyncio.create_task(the_example().consume(handle, servers, group_id))
    try:
        yield received

        async def all_read() -> bool:  # every committed event published, and the consumer past all of them
            return (await asyncio.to_thread(outbox_left, system) == 0
                    and await consumed_to_the_end(servers, group_id))
        await until(all_read)
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)


def types_by_subject(received: list[dict], source: str) -> dict[str, list[str]]:
    """Each subject's event types from one service, in the order read (the example dropped redelivered ids)."""
    by_subject: dict[str, list[str]] = defaultdict(list)
    for event in received:
        assert parse_event(json.dumps(event)).id == event["id"]  # each one the contract's
        if event["source"] == source:
            by_subject[event["subject"]].append(event["type"])
    return dict(by_subject)


async def test_idp_sessions_emit_each_subjects_events_in_order(running_system, kafka_bootstrap_servers):
    okta_tenant, entra_tenant = await asyncio.gather(asyncio.to_thread(create_tenant, running_system, "okta-co"),
                                                     asyncio.to_thread(create_tenant, running_system, "entra-co"))
    await asyncio.to_thread(subscribe_product, running_system, okta_tenant["tenant_id"], "Sales", 5)
    tenants = {okta_tenant["tenant_id"], entra_tenant["tenant_id"]}
    async with (reading(running_system, kafka_bootstrap_servers, tenants) as received,
                aiohttp.ClientSession() as session):
        okta_user = await okta_session(scim_client(session, okta_tenant))
        entra_users = await entra_session(scim_client(session, entra_tenant))

    by_subject = types_by_subject(received, STORE)
    groups = [subject for subject, types in by_subject.items() if types[0].startswith(GROUP)]
    assert len(groups) == 1
    assert by_subject == {okta_user: OKTA_USER, **{user: [USER + "created"] for user in entra_users},
                          groups[0]: ENTRA_GROUP}
    assert types_by_subject(received, ALLOCATOR) == {okta_user: OKTA_SEATS}  # Entra's tenant sells no seats
    assert {event["tenantid"] for event in received if event["subject"] == okta_user} == {okta_tenant["tenant_id"]}
    assert all(event["specversion"] == "1.0" and event["source"] == (ALLOCATOR if SEAT in event["type"] else STORE)
               for event in received)


async def test_an_okta_create_takes_a_seat_and_one_refused_for_want_of_a_seat_emits_its_refusal_only(
        running_system, kafka_bootstrap_servers):
    tenant = await asyncio.to_thread(create_tenant, running_system, "one-seat-co")
    await asyncio.to_thread(subscribe_product, running_system, tenant["tenant_id"], "Sales", 1)
    ann_name, bob_name = (f"{unique(name)}@example.com" for name in ("ann.", "bob."))
    async with (reading(running_system, kafka_bootstrap_servers, {tenant["tenant_id"]}) as received,
                aiohttp.ClientSession() as session):
        client = scim_client(session, tenant).with_headers(OKTA_HEADERS)
        ann = (await client.post("/Users", json=okta_body(ann_name))).expect(201)
        (await client.post("/Users", json=okta_body(bob_name))).expect_error(400)
        for active in (False, True):  # Okta's deactivation and reactivation (OIN apps)
            active_patch = patch(op("replace", value={"active": active}))
            (await client.patch(f"/Users/{ann['id']}", json=active_patch)).expect(200)

    seats = types_by_subject(received, ALLOCATOR)
    [bob] = set(seats) - {ann["id"]}  # the id the store meant to give bob: never a user
    assert seats == {ann["id"]: [SEAT + "assigned", SEAT + "released", SEAT + "assigned"], bob: [SEAT + "refused"]}
    assert types_by_subject(received, STORE) == {ann["id"]: [USER + kind for kind in (
        "created", "deactivated", "reactivated")]}
    [refused] = [event["data"] for event in received if event["type"] == SEAT + "refused"]
    assert {name: refused[name] for name in ("user_name", "product", "reason")} == {
        "user_name": bob_name, "product": "Sales", "reason": "no_free_seat"}
    assert refused["detail"] == "product 'Sales' has no free seat (1 of 1 in use)"
    assigned = next(event for event in received if event["type"] == SEAT + "assigned")
    assert assigned["data"] == {"user_id": ann["id"], "user_name": ann_name, "product": "Sales",
                                "subscription_set": None}
