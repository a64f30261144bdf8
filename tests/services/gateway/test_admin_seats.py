"""Products, seats and subscription sets through the admin API, answered by the real seat allocator
(on the in-memory bus); the SCIM side sees the same seats (issue 6)."""

from __future__ import annotations

import pytest

from services.gateway import keys
from tests.services.gateway.admin_support import (
    OPERATOR,
    bearer,
    eventually,
    json_ok,
    tenant_with_admin,
)
from tests.support.seats import product_body

EXTENSION = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"


@pytest.fixture
async def seated(gateway, seat_allocator, user_store):
    """(gateway, tenant, admin headers) with 2 Sales seats sold by the operator."""
    tenant, admin = await tenant_with_admin(gateway)
    await json_ok(await gateway.post(f"/admin/v1/tenants/{tenant['tenant_id']}/products",
                                     json=product_body("Sales", 2), headers=OPERATOR), 201)
    return gateway, tenant, admin


def products_of(tenant: dict) -> str:
    return f"/admin/v1/tenants/{tenant['tenant_id']}/products"


async def test_the_admin_sees_total_used_and_free_seats_as_scim_takes_them(seated):
    gateway, tenant, admin = seated
    scim = bearer(tenant["token"])
    response = await gateway.post("/scim/v2/Users", headers=scim, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", EXTENSION],
        "userName": "jane@acme.example", EXTENSION: {"products": ["Sales"]}})
    assert (await json_ok(response, 201))[EXTENSION]["platformActive"] is True
    [sales] = (await json_ok(await gateway.get("/admin/v1/tenant/products", headers=admin)))["products"]
    assert (sales["product"], sales["total"], sales["used"], sales["free"], sales["expired"]) == ("Sales", 2, 1, 1, False)
    assert (await json_ok(await gateway.get(products_of(tenant), headers=OPERATOR)))["products"] == [sales]


async def test_the_operator_changes_seats_but_not_below_those_in_use(seated):
    gateway, tenant, _ = seated
    changed = await json_ok(await gateway.patch(f"{products_of(tenant)}/Sales", json={"seats": 5}, headers=OPERATOR))
    assert (changed["total"], changed["free"]) == (5, 5)
    again = await gateway.post(products_of(tenant), json=product_body("Sales", 9), headers=OPERATOR)
    assert again.status == 409 and "already subscribed" in (await again.json())["detail"]
    missing = await gateway.patch(f"{products_of(tenant)}/Talent", json={"seats": 5}, headers=OPERATOR)
    assert missing.status == 404


@pytest.mark.parametrize(("body", "rule"), [
    ({"name": "ab", "products": ["Sales"]}, "3 to 35 characters"),
    ({"name": "Sales_Team", "products": ["Sales"]}, "may contain only letters, digits"),
    ({"name": "Sales Team", "description": "x" * 46, "products": ["Sales"]}, "at most 45 characters"),
    ({"name": "Sales Team", "products": []}, "one or more products"),
    ({"name": "Sales Team", "products": ["Talent"]}, "not subscribed: Talent"),
    ({"name": "Sales Team"}, "products: Field required"),
])
async def test_a_bad_subscription_set_is_400_naming_the_rule(seated, body, rule):
    gateway, _, admin = seated
    response = await gateway.post("/admin/v1/tenant/subscription-sets", json=body, headers=admin)
    assert response.status == 400 and rule in (await response.json())["detail"]


async def test_subscription_sets_are_created_shown_changed_and_deleted(seated):
    gateway, _, admin = seated
    sets = "/admin/v1/tenant/subscription-sets"
    created = await json_ok(await gateway.post(sets, headers=admin, json={
        "name": "Sales Team", "description": "NA sales", "products": ["Sales"], "admin_role": True}), 201)
    assert (created["members"], created["last_synced"], created["admin_role"]) == (0, None, True)  # "UnSynced"
    assert await json_ok(await gateway.get(f"{sets}/Sales Team", headers=admin)) == created
    changed = await json_ok(await gateway.patch(f"{sets}/Sales Team", json={"name": "EMEA Sales"}, headers=admin))
    assert changed["subscription_set"]["name"] == "EMEA Sales"
    assert (await gateway.get(f"{sets}/Sales Team", headers=admin)).status == 404
    await json_ok(await gateway.delete(f"{sets}/EMEA Sales", headers=admin))
    assert (await json_ok(await gateway.get(sets, headers=admin)))["sets"] == []


async def test_another_tenants_admin_sees_none_of_it(seated):
    gateway, _, admin = seated
    await json_ok(await gateway.post("/admin/v1/tenant/subscription-sets", headers=admin,
                                     json={"name": "Sales Team", "products": ["Sales"]}), 201)
    _, other = await tenant_with_admin(gateway, "globex")
    assert (await json_ok(await gateway.get("/admin/v1/tenant/products", headers=other)))["products"] == []
    assert (await gateway.get("/admin/v1/tenant/subscription-sets/Sales Team", headers=other)).status == 404
    assert (await gateway.delete("/admin/v1/tenant/subscription-sets/Sales Team", headers=other)).status == 404


async def test_products_of_an_unknown_tenant_are_404(gateway, seat_allocator):
    response = await gateway.post("/admin/v1/tenants/nope/products", json=product_body("Sales", 1), headers=OPERATOR)
    assert response.status == 404


async def test_what_an_admins_change_does_to_members_seats_reaches_their_scim_resources(seated, sync_status):
    """The allocator moves members' seats on an operator's or admin's change (seats bought for members
    waiting, a set's admin role, its deletion); the user store, which shows platformActive, subscriptionSet
    and effectiveRole from its own rows, is told, so SCIM reads and the sync status agree with the allocator."""
    gateway, tenant, admin = seated
    scim, sets = bearer(tenant["token"]), "/admin/v1/tenant/subscription-sets"
    await json_ok(await gateway.post(sets, headers=admin, json={"name": "Sales Team", "products": ["Sales"]}), 201)
    ids = [(await json_ok(await gateway.post("/scim/v2/Users", headers=scim, json={"userName": f"u{i}@acme.example"}),
                          201))["id"] for i in range(3)]
    group = {"displayName": "Sales Team", "members": [{"value": user_id} for user_id in ids]}
    await json_ok(await gateway.post("/scim/v2/Groups", headers=scim, json=group), 201)

    async def seat_states() -> list[tuple[bool, str | None]]:
        users = [await json_ok(await gateway.get(f"/scim/v2/Users/{user_id}", headers=scim)) for user_id in ids]
        return [(user[EXTENSION]["platformActive"], user[EXTENSION].get("subscriptionSet")) for user in users]

    [waiting] = [user_id for user_id, (active, _) in zip(ids, await seat_states(), strict=True) if not active]
    bought = await json_ok(await gateway.patch(f"{products_of(tenant)}/Sales", json={"seats": 3}, headers=OPERATOR))
    assert [user["user_id"] for user in bought["seated"]] == [waiting] and bought["free"] == 0
    await eventually(lambda: _all(seat_states, (True, "Sales Team")))
    await json_ok(await gateway.patch(f"{sets}/Sales Team", json={"admin_role": True}, headers=admin))

    async def roles() -> bool:
        users = [await json_ok(await gateway.get(f"/scim/v2/Users/{user_id}", headers=scim)) for user_id in ids]
        return all(user[EXTENSION].get("effectiveRole") == "Admin" for user in users)

    await eventually(roles)
    await json_ok(await gateway.delete(f"{sets}/Sales Team", headers=admin))
    await eventually(lambda: _all(seat_states, (False, None)))

    async def sync_statuses() -> dict[str, bool]:
        synced = await json_ok(await gateway.get("/admin/v1/tenant/sync/users?status=synced", headers=admin))
        return {user["user_id"]: user["platform_active"] for user in synced["users"]}

    await eventually(lambda: _equal(sync_statuses, dict.fromkeys(ids, False)))


async def _all(states, expected) -> bool:
    return all(state == expected for state in await states())


async def _equal(read, expected) -> bool:
    return await read() == expected


async def test_a_seat_change_the_user_store_cannot_be_told_of_is_still_the_operators_answer(seated, monkeypatch):
    """The allocator's change is committed: a failed cast to the user store is logged, not a 500."""
    gateway, tenant, admin = seated
    scim = bearer(tenant["token"])
    await json_ok(await gateway.post("/admin/v1/tenant/subscription-sets", headers=admin,
                                     json={"name": "Sales Team", "products": ["Sales"]}), 201)
    ids = [(await json_ok(await gateway.post("/scim/v2/Users", headers=scim, json={"userName": f"u{i}@acme.example"}),
                          201))["id"] for i in range(3)]
    group = {"displayName": "Sales Team", "members": [{"value": user_id} for user_id in ids]}
    await json_ok(await gateway.post("/scim/v2/Groups", headers=scim, json=group), 201)  # one waits

    async def broken(message, **_):
        raise ConnectionError("broker away")

    monkeypatch.setattr(gateway.app[keys.REQUESTER], "cast", broken)
    changed = await json_ok(await gateway.patch(f"{products_of(tenant)}/Sales", json={"seats": 5}, headers=OPERATOR))
    assert changed["total"] == 5 and len(changed["seated"]) == 1


async def sold_and_changed_with(seated, expiry) -> tuple:
    """The operator's two ways to set an expiry: selling a new product, and changing one sold."""
    gateway, tenant, _ = seated
    created = await gateway.post(products_of(tenant), headers=OPERATOR,
                                 json={"product": "Talent", "seats": 1, "expires_at": expiry})
    changed = await gateway.patch(f"{products_of(tenant)}/Sales", headers=OPERATOR, json={"expires_at": expiry})
    return created, changed


@pytest.mark.parametrize("expiry", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
async def test_an_expiry_with_no_utc_time_is_a_400_not_a_crash(seated, expiry):
    """Year 1 east of UTC and 9999 west of it overflow in UTC: the allocator's handler crashed (500)."""
    for response in await sold_and_changed_with(seated, expiry):
        assert response.status == 400 and "out of range" in (await response.json())["detail"]


@pytest.mark.parametrize("expiry", [-1, 0, 1.5, "1700000000", True])
async def test_an_expiry_that_is_not_an_iso_8601_string_is_400(seated, expiry):
    """Lax parsing took a number (or digits) as seconds since 1970: -1, 0 and 1.5 were 201, an expired product."""
    for response in await sold_and_changed_with(seated, expiry):
        assert response.status == 400 and "ISO 8601" in (await response.json())["detail"]


async def test_a_product_name_with_nul_is_400(seated):
    gateway, tenant, _ = seated
    response = await gateway.post(products_of(tenant), headers=OPERATOR, json=product_body("Tal\x00ent", 1))
    assert response.status == 400 and "NUL" in (await response.json())["detail"]
