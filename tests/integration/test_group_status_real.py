"""Issue 26, done-when 3 (its status half), on the real system: what ``scimflow status`` reads of a service's
consumer group (shared/messaging/group_status.py) shows the user store's copy and no lag while it serves,
no copy, the creates waiting for it and no answer to a Ping while it is stopped (while the allocator's copy
answers), and its copy back and nothing waiting once it is started again."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from contracts.topics import GROUPS_COMMANDS, USERS_COMMANDS
from shared.messaging.group_status import GroupStatus, group_status, render
from tests.integration.conftest import create_tenant
from tests.integration.test_walking_skeleton import Scim, user

pytestmark = pytest.mark.integration

STORE_TOPICS = [USERS_COMMANDS.name, GROUPS_COMMANDS.name]
Status = Callable[[], Awaitable[GroupStatus]]


@asynccontextmanager
async def user_store_status(bootstrap_servers: str) -> AsyncIterator[Status]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers)
    await admin.start()
    await consumer.start()
    try:
        yield lambda: group_status(admin, consumer, "user_store", STORE_TOPICS)
    finally:
        await consumer.stop()
        await admin.close()


def scimflow_status(bootstrap_servers: str) -> str:
    """What the operator's ``scimflow status`` prints."""
    scimflow = Path(sys.executable).with_name("scimflow")
    done = subprocess.run([scimflow, "status"], env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_status_without_a_broker_says_so_and_fails():
    scimflow = Path(sys.executable).with_name("scimflow")
    done = subprocess.run([scimflow, "status"], env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "scimflow: cannot read the groups on 127.0.0.1:1: KafkaConnectionError" in done.stderr
    assert "Traceback" not in done.stderr


async def status_when(status: Status, condition: Callable[[GroupStatus], bool], timeout: float = 60) -> GroupStatus:
    deadline = time.monotonic() + timeout
    while not condition(now := await status()):
        assert time.monotonic() < deadline, render([now])
        await asyncio.sleep(0.3)
    return now


async def test_status_shows_the_creates_waiting_while_the_user_store_is_away(fresh_system):
    tenant = await asyncio.to_thread(create_tenant, fresh_system)
    [store] = [p for p in fresh_system.processes if p.service == "user_store"]
    async with user_store_status(fresh_system.bootstrap_servers) as status, aiohttp.ClientSession() as session:
        serving = await status_when(status, lambda s: s.state == "Stable" and len(s.members) == 1 and s.lag == 0)
        [member] = serving.members
        assert member.client == f"user_store/{fresh_system.instance_prefix}{store.instance_id}"
        assert len(member.partitions) == len(serving.lags) == USERS_COMMANDS.partitions + GROUPS_COMMANDS.partitions

        await asyncio.to_thread(store.terminate)  # it leaves the group as it stops
        fresh_system.processes.remove(store)
        scim = Scim(session, tenant)
        for _ in range(3):
            status_code, _ = await scim.call("POST", "/Users", json=user(f"away-{uuid.uuid4().hex[:8]}@acme.test"))
            assert status_code == 503
        await status_when(status, lambda s: not s.members and s.lag == 3)
        shown = await asyncio.to_thread(scimflow_status, fresh_system.bootstrap_servers)
        assert "user_store: Empty, 0 copies, lag 3, no answer to a Ping\n" in shown
        [allocator] = [p for p in fresh_system.processes if p.service == "seat_allocator"]
        answerer = f"seat_allocator/{fresh_system.instance_prefix}{allocator.instance_id}"
        assert f"seat_allocator: Stable, 1 copy, lag 0, a Ping answered by {answerer} in " in shown

        fresh_system.start_service("user_store", store.instance_id)
        back = await status_when(status, lambda s: s.state == "Stable" and len(s.members) == 1 and s.lag == 0)
    assert back.members[0].client == member.client
