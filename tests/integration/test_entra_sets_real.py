"""Issue 6, "done when" 3, on the real system: the tenant admin creates subscription set "Sales Team",
Entra creates the users (no products of their own), pushes group "Sales Team", adds 100 members in one
PATCH and removes 10: the seat counts, the set's members and Last Synced follow."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.integration.conftest import create_tenant, operator_headers, subscribe_product

pytestmark = pytest.mark.integration

EXTENSION = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


class Tenant:
    def __init__(self, session: aiohttp.ClientSession, system, tenant: dict, admin_key: str) -> None:
        self.session, self.system, self.base = session, system, tenant["scim_base_url"]
        self.scim = {"Authorization": f"Bearer {tenant['token']}"}
        self.admin = {"Authorization": f"Bearer {admin_key}"}

    async def call(self, method: str, url: str, headers: dict, body: dict | None = None,
                   status: int = 200) -> dict:
        async with self.session.request(method, url, json=body, headers=headers) as response:
            answer = await response.json(content_type=None)
            assert response.status == status, (method, url, response.status, answer)
            return answer

    async def scim_call(self, method: str, path: str, body: dict | None = None, status: int = 200) -> dict:
        return await self.call(method, f"{self.base}{path}", self.scim, body, status)

    async def provision(self, user_name: str) -> str:
        """Create a user as Entra does: no products of its own; a 503 is retried, a 409 means a try got through."""
        body = {"schemas": [USER], "userName": user_name, "active": True}
        for _ in range(120):
            async with self.session.post(f"{self.base}/Users", json=body, headers=self.scim) as response:
                answer = await response.json(content_type=None)
                if response.status == 201:
                    return answer["id"]
                if response.status == 409:
                    found = await self.scim_call("GET", f'/Users?filter=userName eq "{user_name}"')
                    return found["Resources"][0]["id"]
                assert response.status == 503, answer
            await asyncio.sleep(0.5)
        raise TimeoutError(user_name)

    async def sales_team(self) -> dict:
        return await self.call("GET", f"{self.system.base_url}/admin/v1/tenant/subscription-sets/Sales%20Team",
                               self.admin)

    async def seats(self) -> dict:
        [sales] = (await self.call("GET", f"{self.system.base_url}/admin/v1/tenant/products", self.admin))["products"]
        return sales

    async def user(self, user_id: str) -> dict:
        return (await self.scim_call("GET", f"/Users/{user_id}"))[EXTENSION]


def members_patch(op: str, user_ids: list[str]) -> dict:
    return {"schemas": [PATCH_OP], "Operations": [{"op": op, "path": "members",
                                                   "value": [{"value": user_id} for user_id in user_ids]}]}


async def admin_of(session: aiohttp.ClientSession, system, tenant_id: str, email: str = "ada@acme.example") -> str:
    async with session.post(f"{system.base_url}/admin/v1/tenants/{tenant_id}/admins", headers=operator_headers(system),
                            json={"name": "Ada", "email": email}) as response:
        assert response.status == 201, await response.text()
        return (await response.json())["admin_key"]


async def test_an_entra_group_named_like_a_set_hands_out_and_takes_back_its_seats(running_system):
    tenant = create_tenant(running_system)
    await asyncio.to_thread(subscribe_product, running_system, tenant["tenant_id"], "Sales", 100)
    async with aiohttp.ClientSession() as session:
        acme = Tenant(session, running_system, tenant, await admin_of(session, running_system, tenant["tenant_id"]))
        await acme.call("POST", f"{running_system.base_url}/admin/v1/tenant/subscription-sets", acme.admin,
                        {"name": "Sales Team", "description": "North American Sales Team", "products": ["Sales"]},
                        status=201)
        assert (await acme.sales_team())["last_synced"] is None  # the admin's "UnSynced"

        ids = list(await asyncio.gather(*(acme.provision(f"rep{i:03}@acme.example") for i in range(100))))
        assert (await acme.seats())["used"] == 0  # Entra's users wait for their group

        group = await acme.scim_call("POST", "/Groups", {"schemas": [GROUP], "displayName": "Sales Team",
                                                         "members": []}, status=201)
        first_sync = (await acme.sales_team())["last_synced"]
        assert first_sync is not None

        await acme.scim_call("PATCH", f"/Groups/{group['id']}", members_patch("add", ids), status=204)
        assert ((await acme.seats())["used"], (await acme.seats())["free"]) == (100, 0)
        after_add = await acme.sales_team()
        assert after_add["members"] == 100 and after_add["last_synced"] > first_sync
        assert (await acme.user(ids[0]))["platformActive"] is True

        await acme.scim_call("PATCH", f"/Groups/{group['id']}", members_patch("remove", ids[:10]), status=204)
        assert ((await acme.seats())["used"], (await acme.seats())["free"]) == (90, 10)
        after_remove = await acme.sales_team()
        assert after_remove["members"] == 90 and after_remove["last_synced"] > after_add["last_synced"]
        assert (await acme.user(ids[0]))["platformActive"] is False
        assert (await acme.user(ids[10]))["subscriptionSet"] == "Sales Team"
        listed = await acme.scim_call("GET", f"/Groups/{group['id']}")
        assert len(listed["members"]) == 90
