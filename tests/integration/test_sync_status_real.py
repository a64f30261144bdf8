"""Issue 7, "done when" 1, on the real system: a user the seat allocator refused shows as failed with
the seat reason in the admin's status API, though they were never created, and in a digest email."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from shared.devtools.local_kafka import free_port
from tests.integration.conftest import create_tenant, subscribe_product, wait_until
from tests.integration.test_entra_sets_real import Tenant, admin_of
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration

EXTENSION = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"


async def refuse_joe(running_system, session: aiohttp.ClientSession) -> Tenant:
    """acme with one Sales seat and an admin: ann takes the seat, joe is refused."""
    tenant = create_tenant(running_system)
    await asyncio.to_thread(subscribe_product, running_system, tenant["tenant_id"], "Sales", 1)
    acme = Tenant(session, running_system, tenant, await admin_of(session, running_system, tenant["tenant_id"]))
    for user_name, status in (("ann@acme.example", 201), ("joe@acme.example", 400)):
        await acme.scim_call("POST", "/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                                                           EXTENSION], "userName": user_name,
                                               EXTENSION: {"products": ["Sales"]}}, status=status)
    return acme


async def test_a_seat_refusal_shows_as_failed_with_its_reason(running_system):
    async with aiohttp.ClientSession() as session:
        acme = await refuse_joe(running_system, session)
        status_api = f"{running_system.base_url}/admin/v1/tenant/sync/users?status=failed"
        deadline, failed = time.monotonic() + 30, []
        while not failed and time.monotonic() < deadline:
            failed = (await acme.call("GET", status_api, acme.admin))["users"]
            await asyncio.sleep(0.2)
        [joe] = failed
        assert (joe["user_name"], joe["user_id"]) == ("joe@acme.example", None)
        assert "product 'Sales' has no free seat (1 of 1 in use)" in joe["detail"]
        summary = await acme.call("GET", f"{running_system.base_url}/admin/v1/tenant/sync/summary", acme.admin)
        assert summary["by_status"] == {"synced": 1, "failed": 1}


async def test_a_seat_refusal_reaches_the_admin_in_one_digest_email(make_system):
    smtp = SmtpServer(free_port())
    system = make_system(SCIMFLOW_SMTP_PORT=str(smtp.port), SCIMFLOW_DELIVERY_POLL_SECONDS="0.5",
                         SCIMFLOW_FAILURE_DIGEST_MINUTES="0.05", SCIMFLOW_FAILURE_DIGEST_CHECK_SECONDS="0.5")
    smtp.start()
    try:
        system.start()
        async with aiohttp.ClientSession() as session:
            await refuse_joe(system, session)
        wait_until(lambda: any("could not be provisioned" in m["Subject"] for m in smtp.mailbox.messages),
                   timeout=60)
        [digest] = [m for m in smtp.mailbox.messages if "could not be provisioned" in m["Subject"]]
    finally:
        system.stop()
        smtp.stop()
    assert (digest["Subject"], digest["To"]) == ("1 user could not be provisioned", "ada@acme.example")
    body = digest.get_payload(decode=True).decode()
    assert "joe@acme.example: Seats for user 'joe@acme.example' not allocated" in body
