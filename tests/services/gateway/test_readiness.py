"""The gateway's /livez and /readyz (services/gateway/readiness.py) on the in-memory bus: ready once every
service group answers a Ping, else a 503 that names the groups that did not; one probe shared by callers."""

from __future__ import annotations

import asyncio

import pytest

from services.gateway.app import create_app
from services.gateway.readiness import SERVICE_GROUPS, SharedProbe, broker_answers, missing_for_ready
from shared.devtools.local_kafka import free_port
from shared.messaging.kafka import KafkaBus
from tests.conftest import gateway_settings

#: Short: every group that serves nothing makes the probe wait this long.
DEADLINE = 0.3


@pytest.fixture
async def probed(aiohttp_client, memory_bus, tmp_path):
    return await aiohttp_client(create_app(gateway_settings(tmp_path, readiness_timeout=DEADLINE), bus=memory_bus))


async def test_livez_answers_while_nothing_serves(probed):
    response = await probed.get("/livez")
    assert (response.status, await response.json()) == (200, {"status": "alive"})


async def test_readyz_names_every_group_that_did_not_answer(probed, user_store):
    """The user store (and the seat allocator it needs) serve; the others do not."""
    response = await probed.get("/readyz")
    assert response.status == 503
    assert await response.json() == {"status": "not ready", "missing": ["notifier", "sync_status", "webhooks"]}


async def test_readyz_is_ready_when_every_group_answers(probed, user_store, notifier, sync_status, real_webhooks):
    response = await probed.get("/readyz")
    assert (response.status, await response.json()) == (200, {"status": "ready"}), await response.text()
    assert set(SERVICE_GROUPS) == {"user_store", "seat_allocator", "notifier", "sync_status", "webhooks"}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_callers_share_one_probe_and_its_answer_while_fresh():
    runs, release = [], asyncio.Event()

    async def probe() -> list[str]:
        runs.append(1)
        await release.wait()
        return ["notifier"]

    clock = Clock()
    shared = SharedProbe(probe, fresh_for=1.0, clock=clock)
    waiting = [asyncio.create_task(shared()) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [["notifier"]] * 5 and len(runs) == 1
    clock.now = 0.9
    assert await shared() == ["notifier"] and len(runs) == 1  # still fresh
    clock.now = 1.1
    assert await shared() == ["notifier"] and len(runs) == 2  # stale: asked again


async def test_a_caller_that_goes_away_does_not_cancel_the_probe_for_the_others():
    release = asyncio.Event()

    async def probe() -> list[str]:
        await release.wait()
        return []

    shared = SharedProbe(probe)
    leaving, staying = asyncio.create_task(shared()), asyncio.create_task(shared())
    await asyncio.sleep(0)
    leaving.cancel()
    release.set()
    assert await staying == []


async def test_a_gateway_whose_messaging_has_not_started_is_not_ready(memory_bus, tmp_path):
    app = create_app(gateway_settings(tmp_path), bus=memory_bus)  # not started: no requester yet
    assert await missing_for_ready(app) == ["messaging"]


async def test_a_broker_that_does_not_answer_is_named(memory_bus):
    assert await broker_answers(memory_bus, DEADLINE)
    nobody_listens = KafkaBus(f"127.0.0.1:{free_port()}", client_id="readiness-test")
    assert not await broker_answers(nobody_listens, DEADLINE)
