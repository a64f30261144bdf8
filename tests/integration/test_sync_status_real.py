"""Issue 7, "done when" 1, on the real system: a user the seat allocator refused shows as failed with
the seat reason in the admin's status API, though they were never created, and in a digest email."""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp
import pytest

from tests.integration.conftest import create_tenant, subscribe_product, wait_until
from tests.integration.test_entra_sets_real import Tenant, admin_of
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration

EXTENSION = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"


async def refuse_joe(running_system, session: aiohttp.ClientSession, admin_email: str = "ada@acme.example") -> Tenant:
    """acme with one Sales seat and an admin: ann takes the seat, joe is refused."""
    tenant = create_tenant(running_system)
    await asyncio.to_thread(subscribe_product, running_system, tenant["tenant_id"], "Sales", 1)
    admin_key = await admin_of(session, running_system, tenant["tenant_id"], admin_email)
    acme = Tenant(session, running_system, tenant, admin_key)
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


async def test_a_seat_refusal_reaches_the_admin_in_one_digest_email(scheduled_system, shared_smtp: SmtpServer):
    admin = f"ada@digest-{uuid.uuid4().hex[:8]}.example"  # the mailbox is shared: this tenant's admin alone

    def digests() -> list:
        return [m for m in shared_smtp.mailbox.messages if "could not be provisioned" in m["Subject"]
                and m["To"] == admin]

    async with aiohttp.ClientSession() as session:
        await refuse_joe(scheduled_system, session, admin)
    wait_until(digests, timeout=60)
    [digest] = digests()
    assert (digest["Subject"], digest["To"]) == ("1 user could not be provisioned", admin)
    body = digest.get_payload(decode=True).decode()
    assert "joe@acme.example: Seats for user 'joe@acme.example' not allocated" in body
