"""On the real system (every service its own process, a real broker): the tenant admin reads a user,
sets their role and credits, is refused a product the tenant has not bought, finds the user by part of
their email with the role they set, and reads the change in the user's history; the IdP's next PUT
without role or credits keeps the admin's."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.integration.conftest import create_tenant, subscribe_product
from tests.integration.test_entra_sets_real import Tenant, admin_of

pytestmark = pytest.mark.integration

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
EXTENSION = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"


def jane(**extension) -> dict:
    return {"schemas": [USER, EXTENSION], "userName": "jane@acme.example", "name": {"givenName": "Jane"},
            "emails": [{"value": "Jane.Doe@Mail.example", "primary": True}],
            EXTENSION: {"products": ["Sales"], **extension}}


async def poll(check, timeout: float = 30.0):
    """The sync status hears of writes by cast: poll with a deadline."""
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, "not reported in time"
        await asyncio.sleep(0.2)
    return found


async def test_the_admin_changes_a_users_role_and_credits_and_finds_them_by_email(running_system):
    tenant = create_tenant(running_system)
    await asyncio.to_thread(subscribe_product, running_system, tenant["tenant_id"], "Sales", 2)
    async with aiohttp.ClientSession() as session:
        acme = Tenant(session, running_system, tenant, await admin_of(session, running_system, tenant["tenant_id"]))
        admin_api = f"{running_system.base_url}/admin/v1/tenant"
        user_id = (await acme.scim_call("POST", "/Users", jane(role="User"), status=201))["id"]
        user_url = f"{admin_api}/users/{user_id}"
        assert (await acme.call("GET", user_url, acme.admin))["email"] == "Jane.Doe@Mail.example"

        changed = await acme.call("PATCH", user_url, acme.admin, {"role": "Admin", "user_credit": "Limited",
                                                                  "credit_limit": 100})
        assert (changed["role"], changed["user_credit"], changed["credit_limit"]) == ("Admin", "Limited", 100)
        refused = await acme.call("PATCH", user_url, acme.admin, {"products": ["Sales", "Talent"]}, status=400)
        assert "product 'Talent' is not subscribed" in refused["detail"]
        assert await acme.call("GET", user_url, acme.admin) == changed

        replaced = await acme.scim_call("PUT", f"/Users/{user_id}", {**jane(), "title": "Boss"})
        assert (replaced[EXTENSION]["role"], replaced[EXTENSION]["creditLimit"]) == ("Admin", 100)

        async def found_as_admin():
            users = (await acme.call("GET", f"{admin_api}/sync/users?search=DOE@mail", acme.admin))["users"]
            return users if users and users[0]["role"] == "Admin" else None

        [found] = await poll(found_as_admin)
        assert (found["user_name"], found["email"]) == ("jane@acme.example", "Jane.Doe@Mail.example")

        async def admins_entries():
            history = await acme.call("GET", f"{admin_api}/sync/users/jane@acme.example/history", acme.admin)
            entries = [e for e in history["entries"] if e["asked"] and e["asked"][0].startswith("admin:")]
            return entries if len(entries) == 2 else None

        refusal, change = await poll(admins_entries)  # newest first
        assert (refusal["status"], refusal["asked"]) == ("failed", ["admin: products"])
        assert (change["status"], change["asked"]) == ("synced", ["admin: role", "admin: userCredit",
                                                                  "admin: creditLimit"])
