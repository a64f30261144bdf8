"""Issue 5, the SCIM side: which calls a tenant's token lets through, through the production app factory
on the in-memory bus with the real user store, and an injected clock instead of sleeping."""

import asyncio
import time
import uuid

import pytest

from contracts.tenants.v2 import TenantRecord
from contracts.topics import TENANTS_STATE, USERS_COMMANDS
from services.gateway.tenancy.directory import TenantDirectory
from tests.services.gateway.admin_support import (
    OPERATOR,
    activity_records,
    bearer,
    create_tenant,
    eventually,
    json_ok,
    published,
    start_gateway,
    tenant_with_admin,
    user,
)

pytestmark = pytest.mark.usefixtures("user_store")
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


async def scim_error(response, status: int) -> str:
    """The SCIM Error body's detail, after checking the status and the RFC 7644 §3.12 shape."""
    assert response.status == status, await response.text()
    body = await response.json(content_type=None)
    assert (body["schemas"], body["status"]) == ([ERROR_SCHEMA], str(status))
    return body["detail"]


async def test_the_idps_test_calls_pass_with_a_valid_token_and_fail_clearly_without(gw):
    """'Test API Credentials': Okta/Entra's first calls answer 200 at once; a bad token gets a clear 401."""
    token = bearer((await create_tenant(gw))["token"])
    first_calls = [("/Users", {"count": "1"}), ("/ServiceProviderConfig", {}),
                   ("/Users", {"filter": f'userName eq "{uuid.uuid4()}"'})]
    for path, params in first_calls:
        started = time.monotonic()
        await json_ok(await gw.get(f"/scim/v2{path}", params=params, headers=token))
        assert time.monotonic() - started < 1.0
        assert "not valid" in await scim_error(await gw.get(f"/scim/v2{path}", headers=bearer("scf_1_2")), 401)


async def test_an_expired_token_is_401_expired_and_changes_nothing(gw, clock, memory_bus):
    token = bearer((await create_tenant(gw, token_expires_in_days=90))["token"])
    await json_ok(await gw.post("/scim/v2/Users", json=user(), headers=token), 201)
    commands_before = len(await published(memory_bus, USERS_COMMANDS.name))
    clock.advance(days=90)
    for call in (gw.post("/scim/v2/Users", json=user("bob@acme.example"), headers=token),
                 gw.delete("/scim/v2/Users/anyone", headers=token)):
        assert "expired" in await scim_error(await call, 401)
    assert len(await published(memory_bus, USERS_COMMANDS.name)) == commands_before


async def test_a_replaced_token_is_401_revoked_and_the_new_one_works(gw):
    tenant, admin = await tenant_with_admin(gw)
    new = await json_ok(await gw.post("/admin/v1/tenant/token", json={"expires_in_days": 180, "replace": True},
                                      headers=admin), 201)
    assert "revoked" in await scim_error(await gw.get("/scim/v2/Users", headers=bearer(tenant["token"])), 401)
    await json_ok(await gw.get("/scim/v2/Users", headers=bearer(new["token"])))


async def test_a_deleted_token_is_401_revoked_until_a_new_one_is_added(gw):
    tenant, admin = await tenant_with_admin(gw)
    assert (await gw.delete("/admin/v1/tenant/token", headers=admin)).status == 204
    assert "revoked" in await scim_error(await gw.get("/scim/v2/Users", headers=bearer(tenant["token"])), 401)
    assert (await gw.get("/admin/v1/tenant/token", headers=admin)).status == 404
    new = await json_ok(await gw.post("/admin/v1/tenant/token", json={"expires_in_days": 90}, headers=admin), 201)
    await json_ok(await gw.get("/scim/v2/Users", headers=bearer(new["token"])))


async def test_a_token_replaced_on_one_replica_is_refused_by_another_within_a_second(
        aiohttp_client, memory_bus, tmp_path, clock, gw):
    other = await start_gateway(aiohttp_client, memory_bus, tmp_path, clock, instance_id="test-gateway-2")
    tenant, admin = await tenant_with_admin(gw)
    old = bearer(tenant["token"])
    await json_ok(await other.get("/scim/v2/Users", headers=old))
    new = await json_ok(await gw.post("/admin/v1/tenant/token", json={"expires_in_days": 90, "replace": True},
                                      headers=admin), 201)

    async def refused_there() -> bool:
        return (await other.get("/scim/v2/Users", headers=old)).status == 401

    await eventually(refused_there, timeout=1.0)
    await json_ok(await other.get("/scim/v2/Users", headers=bearer(new["token"])))


async def test_the_first_successful_call_turns_managing_users_on(gw):
    tenant, admin = await tenant_with_admin(gw)
    before = await json_ok(await gw.get("/admin/v1/tenant/connection", headers=admin))
    assert (before["manage_users_through_idp"], before["first_connected_at"]) == (False, None)
    await gw.get("/scim/v2/Users", params={"count": "1"}, headers=bearer("scf_1_2"))  # a failed call does not
    assert not (await json_ok(await gw.get("/admin/v1/tenant/connection", headers=admin)))["first_connected_at"]
    await json_ok(await gw.get("/scim/v2/ServiceProviderConfig", headers=bearer(tenant["token"])))
    after = await json_ok(await gw.get("/admin/v1/tenant/connection", headers=admin))
    assert (after["manage_users_through_idp"], after["set_by_admin"]) == (True, False) and after["first_connected_at"]


async def test_while_managing_users_is_off_writes_are_403_and_reads_work(gw, memory_bus):
    tenant, admin = await tenant_with_admin(gw)
    token = bearer(tenant["token"])
    await json_ok(await gw.put("/admin/v1/tenant/connection", json={"manage_users_through_idp": False},
                               headers=admin))
    commands_before = len(await published(memory_bus, USERS_COMMANDS.name))
    assert "turned off" in await scim_error(await gw.post("/scim/v2/Users", json=user(), headers=token), 403)
    assert len(await published(memory_bus, USERS_COMMANDS.name)) == commands_before
    await json_ok(await gw.get("/scim/v2/Users", headers=token))
    await json_ok(await gw.post("/scim/v2/Users/.search", json={"filter": 'userName eq "x"'}, headers=token))
    await json_ok(await gw.put("/admin/v1/tenant/connection", json={"manage_users_through_idp": True},
                               headers=admin))
    await json_ok(await gw.post("/scim/v2/Users", json=user(), headers=token), 201)


async def test_over_the_rate_limit_is_429_with_retry_after_and_nothing_published(
        aiohttp_client, memory_bus, tmp_path, clock):
    client = await start_gateway(aiohttp_client, memory_bus, tmp_path, clock,
                                 rate_limit_per_second=1, rate_limit_burst_seconds=2)
    token = bearer((await create_tenant(client))["token"])
    for name in ("a", "b"):
        await json_ok(await client.post("/scim/v2/Users", json=user(f"{name}@acme.example"), headers=token), 201)
    commands_before = len(await published(memory_bus, USERS_COMMANDS.name))
    refused = await client.post("/scim/v2/Users", json=user("c@acme.example"), headers=token)
    assert "Too many requests" in await scim_error(refused, 429)
    assert refused.headers["Retry-After"] == "1"
    assert len(await published(memory_bus, USERS_COMMANDS.name)) == commands_before
    clock.advance(seconds=1)
    await json_ok(await client.post("/scim/v2/Users", json=user("c@acme.example"), headers=token), 201)


async def test_an_operator_sets_a_tenants_own_rate(gw):
    tenant = await create_tenant(gw)
    path = f"/admin/v1/tenants/{tenant['tenant_id']}/rate-limit"
    operator = OPERATOR
    assert (await json_ok(await gw.put(path, json={"requests_per_second": 0.5}, headers=operator))) == {
        "requests_per_second": 0.5}
    token = bearer(tenant["token"])
    await json_ok(await gw.get("/scim/v2/Users", headers=token))
    assert (await gw.get("/scim/v2/Users", headers=token)).status == 429


async def test_last_used_is_shown_at_once_and_published_at_most_once_a_minute(gw, clock, memory_bus):
    tenant, admin = await tenant_with_admin(gw)
    token = bearer(tenant["token"])
    assert (await json_ok(await gw.get("/admin/v1/tenant/token", headers=admin)))["last_used_at"] is None
    for _ in range(3):
        clock.advance(seconds=20)
        await json_ok(await gw.get("/scim/v2/Users", headers=token))
        shown = await json_ok(await gw.get("/admin/v1/tenant/token", headers=admin))
        assert shown["last_used_at"] == clock().isoformat()
    await eventually(activity_count(memory_bus, 1))  # the first connection goes out at once, the rest waits
    clock.advance(seconds=60)
    await json_ok(await gw.get("/scim/v2/Users", headers=token))
    await eventually(activity_count(memory_bus, 2))
    assert (await activity_records(memory_bus))[-1].last_used_at == clock()


def activity_count(bus, count: int):
    async def check() -> bool:
        return len(await activity_records(bus)) == count
    return check


async def test_two_replicas_changing_one_tenant_at_once_keep_both_changes(
        aiohttp_client, memory_bus, tmp_path, clock, gw):
    """Replica 1 deletes the token while replica 2 changes the email policy, both built on the same
    record: the loser applies its change again on the winner's, so every replica, a replica reading the
    topic afresh, and the topic's last record (what compaction keeps) hold both changes."""
    other = await start_gateway(aiohttp_client, memory_bus, tmp_path, clock, instance_id="test-gateway-2")
    tenant, admin = await tenant_with_admin(gw)
    await eventually(lambda: ok_status(other.get("/admin/v1/tenant/policies", headers=admin)))
    deleted, policy = await asyncio.gather(
        gw.delete("/admin/v1/tenant/token", headers=admin),
        other.put("/admin/v1/tenant/policies", json={"accept_email_changes": False}, headers=admin))
    assert (deleted.status, policy.status) == (204, 200)
    records = [m for m in await published(memory_bus, TENANTS_STATE.name)
               if isinstance(m, TenantRecord) and m.tenant_id == tenant["tenant_id"]]
    replayed = TenantDirectory()
    for record in records:
        replayed.apply(record)
    for state in (replayed.get(tenant["tenant_id"]), records[-1]):
        assert (state.token, state.policies.accept_email_changes) == (None, False)
    for replica in (gw, other):
        assert (await json_ok(await replica.get("/admin/v1/tenant/policies", headers=admin))) == {
            "accept_email_changes": False}
        assert (await replica.get("/admin/v1/tenant/token", headers=admin)).status == 404


async def ok_status(response) -> bool:
    return (await response).status == 200
