"""Issue 5 on the real system: a token replaced through one gateway process is refused by another
gateway process within a second (each replica follows the compacted tenants.state topic)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from shared.devtools.launcher import System
from shared.devtools.local_kafka import free_port
from tests.integration.conftest import create_tenant

pytestmark = pytest.mark.integration


def scimflow(system: System, *argv: str) -> dict:
    """The real CLI, as an operator runs it."""
    env = {**os.environ, "SCIMFLOW_DATA_DIR": str(system.data_dir), "SCIMFLOW_URL": system.base_url}
    done = subprocess.run([Path(sys.executable).with_name("scimflow"), *argv], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def second_gateway(system: System, name: str = "gateway-2") -> System:
    """Another gateway process on its own port, same broker and data dir (so the same operator key)."""
    other = System(system.bootstrap_servers, system.data_dir, http_port=free_port(), log_dir=system.log_dir,
                   extra_env=system.extra_env, kafka_env=system.kafka_env)
    other.start_service("gateway", name)
    other.wait_healthy()
    return other


async def status(session: aiohttp.ClientSession, url: str, token: str) -> tuple[int, dict]:
    async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.json(content_type=None)


async def test_a_token_replaced_on_one_gateway_is_refused_by_another_within_a_second(running_system):
    other = second_gateway(running_system)
    try:
        tenant = create_tenant(running_system)
        admin = scimflow(running_system, "admin", "add", tenant["tenant_id"], "--name", "Ada",
                         "--email", "ada@acme.test")
        there = f"{other.base_url}/scim/v2/ServiceProviderConfig"
        async with aiohttp.ClientSession() as session:
            assert (await status(session, there, tenant["token"]))[0] == 200
            async with session.post(f"{running_system.base_url}/admin/v1/tenant/token",
                                    json={"expires_in_days": 90, "replace": True},
                                    headers={"Authorization": f"Bearer {admin['admin_key']}"}) as response:
                assert response.status == 201, await response.text()
                new_token = (await response.json())["token"]
            replaced_at = time.monotonic()
            while (answer := await status(session, there, tenant["token"]))[0] != 401:
                assert time.monotonic() - replaced_at < 1.0, "the other gateway still accepts the old token"
                await asyncio.sleep(0.02)  # poll interval under the one-second deadline
            assert "revoked" in answer[1]["detail"]
            assert (await status(session, there, new_token))[0] == 200
    finally:
        other.stop()


async def test_two_gateways_changing_one_tenant_at_once_keep_both_changes(running_system):
    """Gateway 1 deletes the token while gateway 2 turns email changes off, at the same moment: both
    changes hold on both gateways, and on a third gateway started afterwards (it reads the topic anew)."""
    other = second_gateway(running_system)
    try:
        tenant = create_tenant(running_system)
        admin = scimflow(running_system, "admin", "add", tenant["tenant_id"], "--name", "Ada",
                         "--email", "ada@acme.test")
        key = {"Authorization": f"Bearer {admin['admin_key']}"}
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 10
            while (await status(session, f"{other.base_url}/admin/v1/tenant/policies", admin["admin_key"]))[0] != 200:
                assert time.monotonic() < deadline, "the second gateway never learnt the admin"
                await asyncio.sleep(0.05)
            async def answered(request) -> int:
                async with request as response:
                    return response.status

            assert await asyncio.gather(
                answered(session.delete(f"{running_system.base_url}/admin/v1/tenant/token", headers=key)),
                answered(session.put(f"{other.base_url}/admin/v1/tenant/policies", headers=key,
                                     json={"accept_email_changes": False}))) == [204, 200]
            newcomer = second_gateway(running_system, "gateway-3")
            try:
                for gateway in (running_system, other, newcomer):
                    policy = await status(session, f"{gateway.base_url}/admin/v1/tenant/policies", admin["admin_key"])
                    token = await status(session, f"{gateway.base_url}/admin/v1/tenant/token", admin["admin_key"])
                    assert (policy, token[0]) == ((200, {"accept_email_changes": False}), 404), gateway.base_url
            finally:
                newcomer.stop()
    finally:
        other.stop()
