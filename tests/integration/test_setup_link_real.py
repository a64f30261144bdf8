"""A setup link on the real system (every service its own process, a real broker): the operator makes
it, the customer's IT admin opens it once and, with the session alone, generates the SCIM token the
IdP then provisions with (README, "Admin API")."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.integration.conftest import create_tenant, operator_headers

pytestmark = pytest.mark.integration
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


async def call(session: aiohttp.ClientSession, method: str, url: str, key: str, body: object = None):
    async with session.request(method, url, json=body, headers={"Authorization": f"Bearer {key}"}) as response:
        return response.status, await response.json(content_type=None)


async def test_a_setup_link_alone_sets_up_provisioning(running_system):
    tenant = await asyncio.to_thread(create_tenant, running_system)
    base, operator = running_system.base_url, operator_headers(running_system)["Authorization"][len("Bearer "):]
    async with aiohttp.ClientSession() as session:
        status, link = await call(session, "POST", f"{base}/admin/v1/tenants/{tenant['tenant_id']}/setup-link",
                                  operator, {"expires_in_days": 2})
        assert status == 201, link
        status, opened = await call(session, "POST", f"{base}/admin/v1/setup/redeem", link["setup_key"])
        assert (status, opened["tenant_id"]) == (200, tenant["tenant_id"]), opened
        status, again = await call(session, "POST", f"{base}/admin/v1/setup/redeem", link["setup_key"])
        assert status == 401 and "already used" in again["detail"]

        screen = opened["session_key"]
        status, token = await call(session, "POST", f"{base}/admin/v1/tenant/token", screen,
                                   {"expires_in_days": 90, "replace": True})
        assert status == 201, token
        status, refused = await call(session, "GET", f"{base}/admin/v1/tenant/admins", screen)
        assert (status, refused["detail"]) == (403, "A setup link opens the IdP setup screen only")

        user = {"schemas": [USER], "userName": "jane@acme.test", "active": True}
        status, created = await call(session, "POST", f"{tenant['scim_base_url']}/Users", token["token"], user)
        assert status == 201, created
        status, found = await call(session, "GET", f"{tenant['scim_base_url']}/Users/{created['id']}", token["token"])
        assert (status, found["userName"]) == (200, "jane@acme.test")
        status, revoked = await call(session, "GET", f"{tenant['scim_base_url']}/Users", tenant["token"])
        assert status == 401 and "revoked" in revoked["detail"]
