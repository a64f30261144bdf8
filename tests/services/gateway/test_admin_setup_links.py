"""Setup links through the admin API: the operator or a tenant admin makes a one-time link, the customer's
IT admin opens it (no admin key) and gets a session for the IdP setup screen and nothing else."""

import asyncio
from datetime import timedelta

import pytest

from contracts.topics import TENANTS_STATE
from services.gateway import keys
from tests.conftest import OPERATOR_KEY
from tests.services.gateway.admin_support import (
    OPERATOR,
    bearer,
    eventually,
    json_ok,
    start_gateway,
    tenant_with_admin,
)

REDEEM = "/admin/v1/setup/redeem"


async def json_error(response, status: int) -> str:
    """The admin API's error detail, after checking the status and the JSON shape."""
    assert response.status == status, await response.text()
    body = await response.json()
    assert body["status"] == str(status)
    return body["detail"]


def link_path(tenant_id: str) -> str:
    return f"/admin/v1/tenants/{tenant_id}/setup-link"


async def new_link(gw, tenant_id: str, **body) -> dict:
    return await json_ok(await gw.post(link_path(tenant_id), json=body, headers=OPERATOR), 201)


async def redeem(gw, setup_key: str) -> dict:
    return await json_ok(await gw.post(REDEEM, headers=bearer(setup_key)))


async def opened_session(gw) -> tuple[dict, dict[str, str], dict[str, str]]:
    """A tenant (with its admin's headers) whose setup link was opened: the session's headers."""
    tenant, admin = await tenant_with_admin(gw)
    session = await redeem(gw, (await new_link(gw, tenant["tenant_id"]))["setup_key"])
    return tenant, admin, bearer(session["session_key"])


async def test_the_operator_makes_a_link_shown_once_and_only_metadata_afterwards(gw, clock, memory_bus):
    tenant, admin = await tenant_with_admin(gw)
    created = await new_link(gw, tenant["tenant_id"])
    assert set(created) == {"setup_key", "created", "expires_at"} and created["setup_key"].startswith("scl_")
    in_3_days = (clock() + timedelta(days=3)).isoformat()
    assert (created["created"], created["expires_at"]) == (clock().isoformat(), in_3_days)
    shown = await json_ok(await gw.get(link_path(tenant["tenant_id"]), headers=OPERATOR))
    prefix = "_".join(created["setup_key"].split("_", 2)[:2])  # the secret may hold "_" too
    assert shown == {"prefix": prefix, "created": created["created"],
                     "expires_at": created["expires_at"], "status": "active", "redeemed_at": None}
    secret = created["setup_key"].split("_", 2)[2]
    for path in ("/admin/v1/tenant/setup-link", "/admin/v1/tenant"):
        assert secret not in await (await gw.get(path, headers=admin)).text()
    async with memory_bus.reader(TENANTS_STATE.name, from_beginning=True) as reader:
        assert all(secret.encode() not in record.value for record in await reader.fetch(0))


async def test_a_tenant_admin_makes_their_own_tenants_link_for_the_days_asked(gw, clock):
    tenant, admin = await tenant_with_admin(gw)
    created = await json_ok(await gw.post("/admin/v1/tenant/setup-link", json={"expires_in_days": 30},
                                          headers=admin), 201)
    assert created["expires_at"] == (clock() + timedelta(days=30)).isoformat()
    link = gw.server.app[keys.TENANTS].get(tenant["tenant_id"]).setup_link
    assert link.created_by == gw.server.app[keys.TENANTS].get(tenant["tenant_id"]).admins[0].admin_id
    opened = await redeem(gw, created["setup_key"])
    assert (opened["tenant_id"], opened["tenant_name"]) == (tenant["tenant_id"], "acme")


async def test_the_body_is_optional_and_the_days_are_one_to_thirty(gw, clock):
    tenant, _ = await tenant_with_admin(gw)
    created = await json_ok(await gw.post(link_path(tenant["tenant_id"]), headers=OPERATOR), 201)
    assert created["expires_at"] == (clock() + timedelta(days=3)).isoformat()
    for days in (0, 31, "3"):
        await json_error(await gw.post(link_path(tenant["tenant_id"]), json={"expires_in_days": days},
                                       headers=OPERATOR), 400)
    await json_error(await gw.post(link_path("no-such-tenant"), json={}, headers=OPERATOR), 404)


async def test_a_link_opens_once_and_says_so_the_second_time(gw, clock):
    tenant, _ = await tenant_with_admin(gw)
    created = await new_link(gw, tenant["tenant_id"])
    opened = await redeem(gw, created["setup_key"])
    assert opened["session_key"].startswith("scs_")
    assert opened["expires_at"] == (clock() + timedelta(hours=8)).isoformat()
    detail = await json_error(await gw.post(REDEEM, headers=bearer(created["setup_key"])), 401)
    assert "already used" in detail and "new link" in detail
    shown = await json_ok(await gw.get(link_path(tenant["tenant_id"]), headers=OPERATOR))
    assert (shown["status"], shown["redeemed_at"]) == ("used", clock().isoformat())
    assert opened["session_key"] not in str(shown)


async def test_an_expired_link_is_401_expired(gw, clock):
    tenant, _ = await tenant_with_admin(gw)
    created = await new_link(gw, tenant["tenant_id"], expires_in_days=1)
    clock.advance(days=1)
    assert "expired" in await json_error(await gw.post(REDEEM, headers=bearer(created["setup_key"])), 401)
    assert (await json_ok(await gw.get(link_path(tenant["tenant_id"]), headers=OPERATOR)))["status"] == "expired"


async def test_a_replaced_or_deleted_link_is_401_revoked(gw):
    tenant, admin = await tenant_with_admin(gw)
    replaced = await new_link(gw, tenant["tenant_id"])
    deleted = await new_link(gw, tenant["tenant_id"])
    assert (await gw.delete("/admin/v1/tenant/setup-link", headers=admin)).status == 204
    for gone in (replaced, deleted):
        assert "revoked" in await json_error(await gw.post(REDEEM, headers=bearer(gone["setup_key"])), 401)
    shown = await json_ok(await gw.get("/admin/v1/tenant/setup-link", headers=admin))
    assert shown == {"prefix": None, "created": None, "expires_at": None, "status": "none", "redeemed_at": None}
    await json_error(await gw.delete("/admin/v1/tenant/setup-link", headers=admin), 404)


@pytest.mark.parametrize("key", [None, "scl_0_wrong", OPERATOR_KEY])
async def test_redeeming_needs_a_links_key(gw, key):
    await tenant_with_admin(gw)
    await json_error(await gw.post(REDEEM, headers=bearer(key) if key else {}), 401)


async def test_the_session_opens_the_idp_setup_screen(gw):
    tenant, _, session = await opened_session(gw)
    assert (await json_ok(await gw.get("/admin/v1/tenant", headers=session)))["tenant_id"] == tenant["tenant_id"]
    token = await json_ok(await gw.post("/admin/v1/tenant/token", json={"expires_in_days": 90, "replace": True},
                                        headers=session), 201)
    await json_ok(await gw.get("/scim/v2/ServiceProviderConfig", headers=bearer(token["token"])))
    assert (await json_ok(await gw.get("/admin/v1/tenant/token", headers=session)))["prefix"] == token["prefix"]
    changed = await json_ok(await gw.put("/admin/v1/tenant/connection", json={"idp_type": "okta"}, headers=session))
    assert changed["idp_type"] == "okta"
    assert (await gw.delete("/admin/v1/tenant/token", headers=session)).status == 204


async def test_the_session_shows_the_sync_summary_and_the_scim_log(gw, sync_status, seat_allocator):
    _, _, session = await opened_session(gw)
    assert "users" in await json_ok(await gw.get("/admin/v1/tenant/sync/summary", headers=session))
    assert "items" in await json_ok(await gw.get("/admin/v1/tenant/scim-log", headers=session))


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/admin/v1/tenant/admins", None),
    ("PUT", "/admin/v1/tenant/policies", {"accept_email_changes": False}),
    ("POST", "/admin/v1/tenant/setup-link", {}),
    ("DELETE", "/admin/v1/tenant/setup-link", None),
    ("GET", "/admin/v1/tenant/notifications", None),
    ("GET", "/admin/v1/tenant/nothing-here", None),
])
async def test_the_session_is_403_anywhere_else_under_the_tenant(gw, method, path, body):
    _, _, session = await opened_session(gw)
    response = await gw.request(method, path, json=body, headers=session)
    assert await json_error(response, 403) == "A setup link opens the IdP setup screen only"


async def test_the_session_is_no_operator_key(gw):
    tenant, _, session = await opened_session(gw)
    await json_error(await gw.get(f"/admin/v1/tenants/{tenant['tenant_id']}", headers=session), 401)
    await json_error(await gw.get("/admin/v1/tenants", headers=session), 401)


@pytest.mark.parametrize("end", ["regenerate", "delete"])
async def test_a_new_or_deleted_link_ends_the_session(gw, end):
    tenant, admin, session = await opened_session(gw)
    if end == "regenerate":
        await json_ok(await gw.post("/admin/v1/tenant/setup-link", json={}, headers=admin), 201)
    else:
        assert (await gw.delete(link_path(tenant["tenant_id"]), headers=OPERATOR)).status == 204
    assert "not valid" in await json_error(await gw.get("/admin/v1/tenant", headers=session), 401)


async def test_the_session_ends_after_eight_hours(gw, clock):
    _, _, session = await opened_session(gw)
    clock.advance(hours=8)
    assert "expired" in await json_error(await gw.get("/admin/v1/tenant", headers=session), 401)


async def test_two_replicas_opening_one_link_at_once_give_one_session(
        aiohttp_client, memory_bus, tmp_path, clock, gw):
    """Both build on the same record: the one whose record the topic holds first wins, the other applies the
    rule again on that record and finds the link used."""
    other = await start_gateway(aiohttp_client, memory_bus, tmp_path, clock, instance_id="test-gateway-2")
    tenant, _ = await tenant_with_admin(gw)
    created = await new_link(gw, tenant["tenant_id"])

    async def seen_by_other() -> bool:
        response = await other.get(link_path(tenant["tenant_id"]), headers=OPERATOR)
        return response.status == 200 and (await response.json())["status"] == "active"
    await eventually(seen_by_other)
    answers = await asyncio.gather(*(replica.post(REDEEM, headers=bearer(created["setup_key"]))
                                     for replica in (gw, other)))
    assert sorted(answer.status for answer in answers) == [200, 401]
    [session] = [await answer.json() for answer in answers if answer.status == 200]
    [refused] = [await answer.json() for answer in answers if answer.status == 401]
    assert "already used" in refused["detail"]
    for replica in (gw, other):
        screen = bearer(session["session_key"])
        await eventually(lambda replica=replica, screen=screen: ok(replica.get("/admin/v1/tenant", headers=screen)))


async def ok(response) -> bool:
    return (await response).status == 200
