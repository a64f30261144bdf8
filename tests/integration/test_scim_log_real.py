"""The SCIM request log on the real system: Okta's bad call, its status and the detail it was told reach
the tenant admin's ``GET /admin/v1/tenant/scim-log`` through the real broker and the sync-status
reporter's process, and neither the body nor the token does."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.idp_flows.bodies import OKTA_HEADERS
from tests.idp_flows.client import ScimClient
from tests.integration.conftest import create_tenant
from tests.integration.test_entra_sets_real import admin_of

pytestmark = pytest.mark.integration

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PASSWORD = "0kta-Sent-This-Passw0rd"


async def scim_log(session: aiohttp.ClientSession, base_url: str, admin_key: str, query: str) -> dict:
    async with session.get(f"{base_url}/admin/v1/tenant/scim-log{query}",
                           headers={"Authorization": f"Bearer {admin_key}"}) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_oktas_bad_call_shows_in_the_admins_scim_log(running_system):
    tenant = create_tenant(running_system)
    async with aiohttp.ClientSession() as session:
        admin_key = await admin_of(session, running_system, tenant["tenant_id"])
        okta = ScimClient(session, tenant["scim_base_url"], {"Authorization": f"Bearer {tenant['token']}"}) \
            .with_headers(OKTA_HEADERS)
        (await okta.get("/Users", params={"startIndex": 1, "count": 2})).expect_list()  # "Test API Credentials"
        refused = (await okta.post("/Users", json={"schemas": [USER], "password": PASSWORD,
                                                   "name": {"givenName": "Ann"}})).expect_error(400)
        deadline, failed = time.monotonic() + 30, {"items": []}
        while not failed["items"] and time.monotonic() < deadline:  # cast in batches: within a second or so
            failed = await scim_log(session, running_system.base_url, admin_key, "?outcome=failed")
            await asyncio.sleep(0.2)
        [call] = failed["items"]
        assert (call["method"], call["path"], call["status"], call["detail"]) == (
            "POST", "/scim/v2/Users", 400, refused["detail"])
        everything = await scim_log(session, running_system.base_url, admin_key, "")
    assert [(c["path"], c["status"]) for c in everything["items"]] == [
        ("/scim/v2/Users", 400), ("/scim/v2/Users?startIndex=1&count=2", 200)]
    assert PASSWORD not in str(everything) and tenant["token"] not in str(everything)
