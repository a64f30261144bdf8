"""Sync status through the admin API: a user the seat allocator refused shows as failed with the
reason, before they ever existed; history and summary follow (issue 7; real user store, seat
allocator and sync-status reporter on the in-memory bus)."""

from __future__ import annotations

import asyncio

import pytest

from tests.services.gateway.admin_support import (
    OPERATOR,
    bearer,
    json_ok,
    tenant_with_admin,
)
from tests.support.seats import product_body

EXTENSION = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"


@pytest.fixture
async def provisioned(gateway, seat_allocator, user_store, sync_status):
    """(gateway, admin headers, SCIM headers): one Sales seat; ann got it, joe was refused."""
    tenant, admin = await tenant_with_admin(gateway)
    await json_ok(await gateway.post(f"/admin/v1/tenants/{tenant['tenant_id']}/products",
                                     json=product_body("Sales", 1), headers=OPERATOR), 201)
    scim = bearer(tenant["token"])
    for user_name, status in (("ann@acme.example", 201), ("joe@acme.example", 400)):
        response = await gateway.post("/scim/v2/Users", headers=scim, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", EXTENSION], "userName": user_name,
            EXTENSION: {"products": ["Sales"]}})
        assert response.status == status, await response.text()
    await until_reported(gateway, admin, 2)
    return gateway, admin, scim


async def until_reported(gateway, admin, users: int) -> None:
    """Outcomes are cast, not asked: wait (bounded) until the reporter has them."""
    for _ in range(200):
        summary = await json_ok(await gateway.get("/admin/v1/tenant/sync/summary", headers=admin))
        if summary["users"] >= users:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the reporter never saw {users} users")


async def test_a_refused_user_shows_as_failed_with_the_seat_reason(provisioned):
    gateway, admin, _ = provisioned
    page = await json_ok(await gateway.get("/admin/v1/tenant/sync/users?status=failed", headers=admin))
    [joe] = page["users"]
    assert (joe["user_name"], joe["user_id"], joe["status"]) == ("joe@acme.example", None, "failed")
    assert "product 'Sales' has no free seat (1 of 1 in use)" in joe["detail"]
    history = await json_ok(await gateway.get("/admin/v1/tenant/sync/users/joe@acme.example/history", headers=admin))
    assert [(e["action"], e["status"]) for e in history["entries"]] == [("create", "failed")]


async def test_the_summary_and_the_filters(provisioned):
    gateway, admin, _ = provisioned
    await json_ok(await gateway.post("/admin/v1/tenant/subscription-sets", headers=admin,
                                     json={"name": "Sales Team", "products": ["Sales"]}), 201)
    summary = await json_ok(await gateway.get("/admin/v1/tenant/sync/summary", headers=admin))
    assert (summary["users"], summary["by_status"]) == (2, {"synced": 1, "failed": 1})
    assert summary["last_successful_call"] is not None and summary["last_scim_call"] is not None
    assert summary["subscription_sets"] == [{"name": "Sales Team", "last_synced": None}]  # UnSynced
    assert (summary["token"]["status"], summary["token"]["last_used_at"]) == ("active", summary["last_scim_call"])
    synced = await json_ok(await gateway.get("/admin/v1/tenant/sync/users?status=synced&product=Sales",
                                             headers=admin))
    assert [(u["user_name"], u["platform_active"]) for u in synced["users"]] == [("ann@acme.example", True)]


@pytest.mark.parametrize("query", ["status=broken", "count=-1", "startIndex=0", "colour=red",
                                   "startIndex=99999999999999999999999"])  # was a 500: past 64 bits
async def test_bad_query_parameters_are_a_400_naming_the_problem(provisioned, query):
    gateway, admin, _ = provisioned
    response = await gateway.get(f"/admin/v1/tenant/sync/users?{query}", headers=admin)
    assert response.status == 400 and (await response.json())["detail"]


async def test_sync_status_needs_an_admin_key(gateway, tenant):
    response = await gateway.get("/admin/v1/tenant/sync/summary", headers=bearer(tenant["token"]))
    assert response.status == 401



async def test_a_group_member_the_set_cannot_seat_shows_as_failed(provisioned):
    """The one Sales seat is ann's: bob, pushed in the set's group, is kept in the group and reported failed."""
    gateway, admin, scim = provisioned
    await json_ok(await gateway.post("/admin/v1/tenant/subscription-sets", headers=admin,
                                     json={"name": "Sales Team", "products": ["Sales"]}), 201)
    bob = await json_ok(await gateway.post("/scim/v2/Users", headers=scim, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob@acme.example"}), 201)
    group = await json_ok(await gateway.post("/scim/v2/Groups", headers=scim, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales Team",
        "members": [{"value": bob["id"]}]}), 201)
    assert [member["value"] for member in group["members"]] == [bob["id"]]
    for _ in range(200):
        history = await json_ok(await gateway.get("/admin/v1/tenant/sync/users/bob@acme.example/history",
                                                  headers=admin))
        if history["entries"] and history["entries"][0]["action"] == "membership":
            break
        await asyncio.sleep(0.02)
    latest = history["entries"][0]
    assert (latest["action"], latest["status"]) == ("membership", "failed")
    assert "product 'Sales' has no free seat (1 of 1 in use)" in latest["detail"]
