"""A user's vendor attributes through the admin API: the admin reads them and changes role, credits and
products through the user store's own write (seat rules, sync-status history), and finds users by
userName or email in the sync-status list (real user store, seat allocator and reporter on the
in-memory bus)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.services.gateway.admin_support import (
    OPERATOR,
    bearer,
    eventually,
    json_ok,
    tenant_with_admin,
)
from tests.support.seats import product_body

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
EXTENSION = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"
CREDITS = {"role": "User", "userCredit": "Unlimited", "resetUsage": "Never"}


def jane(products: tuple[str, ...] = ("Sales",)) -> dict:
    """As Okta creates her: role and credits sent on Create only, a Sales seat."""
    return {"schemas": [USER, EXTENSION], "userName": "jane@acme.example", "externalId": "00u1",
            "name": {"givenName": "Jane", "familyName": "Doe"}, "displayName": "Jane Doe",
            "emails": [{"value": "jd@home.example", "type": "home"},
                       {"value": "Jane.Doe@Acme.example", "type": "work", "primary": True}],
            EXTENSION: {**CREDITS, **({"products": list(products)} if products else {})}}


class Acme:
    """A tenant selling 1 Sales and 1 Marketing seat, with an admin; SCIM and admin calls."""

    def __init__(self, gateway, tenant: dict, admin: dict[str, str]) -> None:
        self.gateway, self.admin, self.scim = gateway, admin, bearer(tenant["token"])

    async def create(self, body: dict, status: int = 201) -> dict:
        return await json_ok(await self.gateway.post("/scim/v2/Users", json=body, headers=self.scim), status)

    async def user(self, user_id: str, status: int = 200) -> dict:
        return await json_ok(await self.gateway.get(f"/admin/v1/tenant/users/{user_id}", headers=self.admin), status)

    async def change(self, user_id: str, body: object, status: int = 200) -> dict:
        response = await self.gateway.patch(f"/admin/v1/tenant/users/{user_id}", json=body, headers=self.admin)
        return await json_ok(response, status)

    async def seats_used(self) -> dict[str, int]:
        products = (await json_ok(await self.gateway.get("/admin/v1/tenant/products", headers=self.admin)))["products"]
        return {product["product"]: product["used"] for product in products}

    async def statuses(self, query: str = "") -> list[dict]:
        page = await json_ok(await self.gateway.get(f"/admin/v1/tenant/sync/users{query}", headers=self.admin))
        return page["users"]

    async def history(self, user_name: str) -> list[dict]:
        answer = await json_ok(await self.gateway.get(f"/admin/v1/tenant/sync/users/{user_name}/history",
                                                      headers=self.admin))
        return answer["entries"]


async def seated_tenant(gateway, name: str, products: dict[str, int]) -> Acme:
    tenant, admin = await tenant_with_admin(gateway, name)
    for product, seats in products.items():
        await json_ok(await gateway.post(f"/admin/v1/tenants/{tenant['tenant_id']}/products",
                                         json=product_body(product, seats), headers=OPERATOR), 201)
    return Acme(gateway, tenant, admin)


@pytest.fixture
async def acme(gateway, seat_allocator, user_store, sync_status) -> Acme:
    return await seated_tenant(gateway, "acme", {"Sales": 1, "Marketing": 1})


async def test_the_admin_reads_one_user(acme):
    created = await acme.create(jane())
    user = await acme.user(created["id"])
    assert [datetime.fromisoformat(user.pop(key)) for key in ("created", "last_modified")] == [
        datetime.fromisoformat(created["meta"][key]) for key in ("created", "lastModified")]
    assert user == {
        "id": created["id"], "user_name": "jane@acme.example", "display_name": "Jane Doe", "given_name": "Jane",
        "family_name": "Doe", "email": "Jane.Doe@Acme.example", "emails": ["jd@home.example", "Jane.Doe@Acme.example"],
        "external_id": "00u1", "scim_active": True, "platform_active": True, "subscription_set": None,
        "effective_role": "User", "role": "User", "user_credit": "Unlimited", "credit_limit": None,
        "reset_usage": "Never", "products": ["Sales"], "version": 1}


async def test_another_tenants_user_and_an_unknown_id_are_not_found(acme, gateway):
    created = await acme.create(jane())
    beta = await seated_tenant(gateway, "beta", {})
    for user_id, admin in ((created["id"], beta), ("no-such-user", acme)):
        assert "not found" in (await admin.user(user_id, status=404))["detail"]
        await admin.change(user_id, {"role": "Admin"}, status=404)
    assert (await acme.user(created["id"]))["role"] == "User"


async def test_role_and_credits_changed_by_the_admin_show_in_the_admin_api_and_on_scim(acme):
    created = await acme.create(jane())
    changed = await acme.change(created["id"], {"role": "Admin", "user_credit": "Limited", "credit_limit": 500,
                                                "reset_usage": "Monthly"})
    assert (changed["role"], changed["effective_role"], changed["user_credit"], changed["credit_limit"],
            changed["reset_usage"], changed["version"]) == ("Admin", "Admin", "Limited", 500, "Monthly", 2)
    assert await acme.user(created["id"]) == changed
    scim = await json_ok(await acme.gateway.get(f"/scim/v2/Users/{created['id']}", headers=acme.scim))
    assert {key: scim[EXTENSION][key] for key in ("role", "userCredit", "creditLimit", "resetUsage", "products")} == {
        "role": "Admin", "userCredit": "Limited", "creditLimit": 500, "resetUsage": "Monthly", "products": ["Sales"]}
    cleared = await acme.change(created["id"], {"credit_limit": None})
    assert (cleared["credit_limit"], cleared["user_credit"], cleared["role"]) == (None, "Limited", "Admin")


async def test_an_empty_change_changes_nothing(acme):
    created = await acme.create(jane())
    assert await acme.change(created["id"], {}) == await acme.user(created["id"])
    assert (await acme.user(created["id"]))["version"] == 1


async def test_products_move_the_seats_and_a_product_without_a_free_seat_is_refused_with_nothing_changed(acme):
    first = await acme.create(jane())
    moved = await acme.change(first["id"], {"products": ["Marketing"]})
    assert (moved["products"], moved["platform_active"]) == (["Marketing"], True)
    assert await acme.seats_used() == {"Sales": 0, "Marketing": 1}
    second = await acme.create({**jane(), "userName": "joe@acme.example"})  # takes the one Sales seat
    before = await acme.user(second["id"])
    refused = await acme.change(second["id"], {"products": ["Sales", "Marketing"], "role": "Admin"}, status=400)
    assert "product 'Marketing' has no free seat (1 of 1 in use)" in refused["detail"]
    assert await acme.user(second["id"]) == before  # the role too: all of the change or none
    assert await acme.seats_used() == {"Sales": 1, "Marketing": 1}


async def test_the_admins_change_is_in_the_users_history_as_the_admins(acme):
    created = await acme.create(jane())
    await acme.change(created["id"], {"role": "Admin", "credit_limit": 10})

    async def admin_entry():
        return next((entry for entry in await acme.history("jane@acme.example")
                     if entry["asked"] and entry["asked"][0].startswith("admin:")), None)

    entry = await eventually(admin_entry)
    assert (entry["action"], entry["status"]) == ("patch", "synced")
    assert entry["asked"] == ["admin: role", "admin: creditLimit"]


async def test_a_refused_change_is_in_the_history_with_its_reason(acme):
    created = await acme.create(jane())

    async def failed_entry():
        return next((entry for entry in await acme.history("jane@acme.example") if entry["status"] == "failed"), None)

    await acme.change(created["id"], {"products": ["Talent"]}, status=400)
    entry = await eventually(failed_entry)
    assert entry["asked"] == ["admin: products"] and "product 'Talent' is not subscribed" in entry["detail"]


@pytest.mark.parametrize(("body", "field"), [
    ({"colour": "red"}, "colour"),
    ({"role": "Owner"}, "role"),
    ({"role": None}, "role"),  # only credit_limit is cleared with null
    ({"credit_limit": -1}, "credit_limit"),
    ({"credit_limit": "5"}, "credit_limit"),
    ({"credit_limit": True}, "credit_limit"),
    ({"reset_usage": "Weekly"}, "reset_usage"),
    ({"products": "Sales"}, "products"),
    (["role"], "JSON object"),
])
async def test_a_bad_change_is_a_400_naming_the_field(acme, body, field):
    created = await acme.create(jane())
    assert field in (await acme.change(created["id"], body, status=400))["detail"]


async def test_an_idp_put_without_role_or_credits_keeps_the_admins(gateway, seat_allocator, user_store, sync_status):
    """A tenant that sells no product manages no seats: a PUT without the extension at all is taken, and
    keeps what the admin set (Okta sends role and credits on Create only)."""
    free = await seated_tenant(gateway, "free", {})
    created = await free.create(jane(products=()))
    await free.change(created["id"], {"role": "Admin", "user_credit": "Limited", "credit_limit": 50})
    put = {key: value for key, value in jane().items() if key != EXTENSION} | {"displayName": "Jane D."}
    response = await gateway.put(f"/scim/v2/Users/{created['id']}", json={**put, "schemas": [USER]},
                                 headers=free.scim)
    replaced = (await json_ok(response))[EXTENSION]
    assert {key: replaced.get(key) for key in ("role", "userCredit", "creditLimit", "resetUsage")} == {
        "role": "Admin", "userCredit": "Limited", "creditLimit": 50, "resetUsage": "Never"}
    user = await free.user(created["id"])
    assert (user["display_name"], user["role"], user["credit_limit"]) == ("Jane D.", "Admin", 50)
    sent = await json_ok(await gateway.put(f"/scim/v2/Users/{created['id']}", headers=free.scim,
                                           json={**put, EXTENSION: {"role": "User"}}))
    assert (sent[EXTENSION]["role"], sent[EXTENSION]["creditLimit"]) == ("User", 50)  # what the IdP sends wins


async def test_users_are_found_by_part_of_their_user_name_or_email_with_email_and_role(acme):
    jane_id = (await acme.create(jane()))["id"]
    await acme.create({"schemas": [USER], "userName": "bob@acme.example",
                       "emails": [{"value": "robert.smith@mail.example"}]}, status=400)  # no product: refused
    await acme.change(jane_id, {"role": "Admin"})

    async def all_reported():
        users = await acme.statuses()
        return len(users) == 2 and any(u["role"] == "Admin" for u in users) and users

    users = await eventually(all_reported)
    assert {(u["user_name"], u["email"], u["role"]) for u in users} == {
        ("jane@acme.example", "Jane.Doe@Acme.example", "Admin"),
        ("bob@acme.example", "robert.smith@mail.example", "User")}
    for search, found in (("JANE.DOE@acme", ["jane@acme.example"]), ("SMITH", ["bob@acme.example"]),
                          ("bob@", ["bob@acme.example"]), ("acme.example", ["jane@acme.example", "bob@acme.example"]),
                          ("nobody", []), ("%", []), ("", ["jane@acme.example", "bob@acme.example"])):
        assert sorted(u["user_name"] for u in await acme.statuses(f"?search={search}")) == sorted(found), search
    assert [u["user_name"] for u in await acme.statuses("?search=acme&status=failed")] == ["bob@acme.example"]
