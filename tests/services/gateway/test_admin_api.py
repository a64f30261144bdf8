"""Issue 5, the admin side: operators create tenants and admins; an admin sees and changes only their
own tenant (token, connection, policies, admins). JSON in, JSON out, errors included."""

from datetime import timedelta

import pytest

from contracts.topics import TENANTS_STATE
from tests.conftest import OPERATOR_KEY
from tests.services.gateway.admin_support import (
    OPERATOR,
    add_admin,
    bearer,
    create_tenant,
    json_ok,
    tenant_with_admin,
)


async def json_error(response, status: int) -> str:
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["status"] == str(status) and "Traceback" not in body["detail"]
    return body["detail"]


async def test_a_new_token_is_shown_once_and_only_its_prefix_afterwards(gw, memory_bus):
    _, admin = await tenant_with_admin(gw)
    created = await json_ok(await gw.post("/admin/v1/tenant/token", json={"expires_in_days": 90, "replace": True},
                                          headers=admin), 201)
    secret = created["token"]
    assert secret.startswith(created["prefix"] + "_")
    for path in ("/admin/v1/tenant/token", "/admin/v1/tenant"):
        assert secret not in await (await gw.get(path, headers=admin)).text()
    async with memory_bus.reader(TENANTS_STATE.name, from_beginning=True) as reader:
        assert all(secret.split("_", 2)[2].encode() not in record.value for record in await reader.fetch(0))


@pytest.mark.parametrize("days", [90, 180, 365])
async def test_token_expiry_is_one_of_the_portals_choices(gw, clock, days):
    _, admin = await tenant_with_admin(gw)
    body = {"expires_in_days": days, "replace": True}
    created = await json_ok(await gw.post("/admin/v1/tenant/token", json=body, headers=admin), 201)
    assert created["expires_at"] == (clock() + timedelta(days=days)).isoformat()
    assert (created["created"], created["status"], created["last_used_at"]) == (clock().isoformat(), "active", None)


async def test_other_expiries_are_refused_clearly(gw):
    _, admin = await tenant_with_admin(gw)
    response = await gw.post("/admin/v1/tenant/token", json={"expires_in_days": 30}, headers=admin)
    assert "90, 180 or 365" in await json_error(response, 400)


async def test_replacing_a_token_must_be_confirmed(gw):
    tenant, admin = await tenant_with_admin(gw)
    response = await gw.post("/admin/v1/tenant/token", json={"expires_in_days": 90}, headers=admin)
    assert '"replace": true' in await json_error(response, 409)
    await json_ok(await gw.get("/scim/v2/ServiceProviderConfig", headers=bearer(tenant["token"])))


async def test_token_metadata_says_expired(gw, clock):
    _, admin = await tenant_with_admin(gw)
    clock.advance(days=365)
    assert (await json_ok(await gw.get("/admin/v1/tenant/token", headers=admin)))["status"] == "expired"


async def test_an_admin_sees_only_their_own_tenant(gw):
    acme, _ = await tenant_with_admin(gw, "acme")
    other, other_admin = await tenant_with_admin(gw, "other")
    response = await gw.get("/admin/v1/tenant", headers=other_admin)
    shown = await json_ok(response)
    assert (shown["tenant_id"], shown["name"]) == (other["tenant_id"], "other")
    assert acme["tenant_id"] not in await response.text()


async def test_another_tenants_admin_id_is_404_not_403(gw):
    _, acme_admin = await tenant_with_admin(gw, "acme")
    _, other_admin = await tenant_with_admin(gw, "other")
    [acme_admin_id] = [a["admin_id"] for a in (await json_ok(await gw.get("/admin/v1/tenant/admins",
                                                                           headers=acme_admin)))["admins"]]
    for call in (gw.get, gw.delete):
        await json_error(await call(f"/admin/v1/tenant/admins/{acme_admin_id}", headers=other_admin), 404)
    await json_ok(await gw.get(f"/admin/v1/tenant/admins/{acme_admin_id}", headers=acme_admin))


async def test_a_removed_admin_is_locked_out(gw):
    tenant, first = await tenant_with_admin(gw)
    second = await add_admin(gw, tenant["tenant_id"], "bob@acme.example")
    assert (await gw.delete(f"/admin/v1/tenant/admins/{second['admin_id']}", headers=first)).status == 204
    assert "not valid" in await json_error(await gw.get("/admin/v1/tenant", headers=bearer(second["admin_key"])), 401)


@pytest.mark.parametrize(("path", "credential"), [
    ("/admin/v1/tenant", "sca_0_wrong"),
    ("/admin/v1/tenant", OPERATOR_KEY),  # the operator key names no tenant
    ("/admin/v1/tenants/any-id", "sca_0_wrong"),  # an admin key is not the operator's
])
async def test_wrong_credentials_are_401_json(gw, path, credential):
    await json_error(await gw.get(path, headers=bearer(credential)), 401)


async def test_operator_adds_admins_once_per_email(gw):
    tenant = await create_tenant(gw)
    admin = await add_admin(gw, tenant["tenant_id"])
    assert admin["admin_key"].startswith(admin["key_prefix"] + "_") and admin["email"] == "ada@acme.example"
    again = await gw.post(f"/admin/v1/tenants/{tenant['tenant_id']}/admins",
                          json={"name": "Ada", "email": "ADA@acme.example"}, headers=OPERATOR)
    assert "already an admin" in await json_error(again, 409)
    missing = await gw.post("/admin/v1/tenants/nope/admins", json={"name": "A", "email": "a@b.c"}, headers=OPERATOR)
    await json_error(missing, 404)


async def test_idp_type_is_recorded_and_shown(gw):
    tenant = await create_tenant(gw, idp_type="entra_id")
    admin = bearer((await add_admin(gw, tenant["tenant_id"]))["admin_key"])
    assert (await json_ok(await gw.get("/admin/v1/tenant/connection", headers=admin)))["idp_type"] == "entra_id"
    changed = await json_ok(await gw.put("/admin/v1/tenant/connection", json={"idp_type": "okta"}, headers=admin))
    assert changed["idp_type"] == "okta"
    await json_error(await gw.put("/admin/v1/tenant/connection", json={"idp_type": "ldap"}, headers=admin), 400)


async def test_disabling_in_the_wrong_order_is_refused(gw):
    tenant, admin = await tenant_with_admin(gw)
    await json_ok(await gw.get("/scim/v2/ServiceProviderConfig", headers=bearer(tenant["token"])))  # now on
    path = "/admin/v1/tenant/connection"
    refused = await gw.put(path, json={"sso_enabled": False}, headers=admin)
    assert "before resetting SSO" in await json_error(refused, 409)
    await json_ok(await gw.put(path, json={"manage_users_through_idp": False}, headers=admin))
    reset = await json_ok(await gw.put(path, json={"sso_enabled": False}, headers=admin))
    assert (reset["manage_users_through_idp"], reset["sso_enabled"]) == (False, False)
    assert "SSO is reset" in await json_error(await gw.put(path, json={"manage_users_through_idp": True},
                                                           headers=admin), 409)


async def test_email_change_policy_defaults_to_accept_and_can_be_switched(gw):
    _, admin = await tenant_with_admin(gw)
    assert await json_ok(await gw.get("/admin/v1/tenant/policies", headers=admin)) == {"accept_email_changes": True}
    changed = await gw.put("/admin/v1/tenant/policies", json={"accept_email_changes": False}, headers=admin)
    assert await json_ok(changed) == {"accept_email_changes": False}
    assert (await json_ok(await gw.get("/admin/v1/tenant", headers=admin)))["policies"] == {
        "accept_email_changes": False}


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("PUT", "/admin/v1/tenant/policies", b"{not json", 400),
    ("PUT", "/admin/v1/tenant/policies", b'{"accept_email_changes": "yes"}', 400),
    ("PUT", "/admin/v1/tenant/policies", b'["a list"]', 400),
    ("GET", "/admin/v1/tenant/nothing-here", None, 404),
    ("PATCH", "/admin/v1/tenant/token", None, 405),
])
async def test_admin_errors_are_json_with_a_clear_detail(gw, method, path, body, status):
    _, admin = await tenant_with_admin(gw)
    await json_error(await gw.request(method, path, data=body, headers=admin), status)


@pytest.mark.parametrize("body", [{"name": "ac\x00me"}, {"name": "ac\nme"}])
async def test_a_tenant_name_with_nul_or_another_control_character_is_400(gw, body):
    """Shown in the portal, in mails and in logs: stored with a NUL it was cut short wherever a C string ends."""
    response = await gw.post("/admin/v1/tenants", json=body, headers=OPERATOR)
    assert "control characters such as NUL" in await json_error(response, 400)


async def test_an_admin_name_or_email_with_nul_is_400(gw):
    tenant = await create_tenant(gw)
    for body in ({"name": "A\x00da", "email": "ada@acme.example"}, {"name": "Ada", "email": "ada@acme\x00.example"}):
        response = await gw.post(f"/admin/v1/tenants/{tenant['tenant_id']}/admins", json=body, headers=OPERATOR)
        assert "NUL" in await json_error(response, 400)
