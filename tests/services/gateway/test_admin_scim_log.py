"""The tenant admin's SCIM request log (GET /admin/v1/tenant/scim-log): why the IdP's last call failed,
without a body or a secret in it (the gateway's buffer, the real sync-status reporter, in-memory bus)."""

from __future__ import annotations

import pytest

from tests.services.gateway.admin_support import (
    bearer,
    eventually,
    json_ok,
    start_gateway,
    tenant_with_admin,
)

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PASSWORD = "Sup3r-S3cret-Passw0rd"


@pytest.fixture
async def gateway(aiohttp_client, memory_bus, tmp_path, clock, sync_status):
    """A gateway whose call log is sent every 20 ms (1 s in production), and the reporter."""
    return await start_gateway(aiohttp_client, memory_bus, tmp_path, clock, scim_log_flush_seconds=0.02)


async def scim_log(gateway, admin, query: str = "") -> dict:
    return await json_ok(await gateway.get(f"/admin/v1/tenant/scim-log{query}", headers=admin))


async def logged(gateway, admin, calls: int, query: str = "") -> dict:
    """The log once it holds ``calls`` calls: they reach the reporter within the flush interval."""
    async def enough():
        found = await scim_log(gateway, admin, query)
        return found if found["total_results"] >= calls else None
    return await eventually(enough, timeout=5)


async def test_a_failed_calls_detail_shows_and_no_body_or_secret_does(gateway):
    tenant, admin = await tenant_with_admin(gateway)
    scim = bearer(tenant["token"])
    assert (await gateway.get("/scim/v2/ServiceProviderConfig", headers=scim)).status == 200
    refused = await gateway.post("/scim/v2/Users?attributes=userName", headers=scim,
                                 json={"schemas": [USER], "password": PASSWORD, "active": True})
    assert refused.status == 400
    detail = (await refused.json())["detail"]
    found = await logged(gateway, admin, 2)
    assert (found["total_results"], found["start_index"], found["items_per_page"]) == (2, 1, 2)
    latest, first = found["items"]
    assert set(latest) == {"at", "method", "path", "status", "detail", "duration_ms"}
    assert (latest["method"], latest["path"], latest["status"], latest["detail"]) == (
        "POST", "/scim/v2/Users?attributes=userName", 400, detail)
    assert (first["path"], first["status"], first["detail"]) == ("/scim/v2/ServiceProviderConfig", 200, None)
    text = await (await gateway.get("/admin/v1/tenant/scim-log", headers=admin)).text()
    assert PASSWORD not in text and tenant["token"] not in text and tenant["token"].split("_", 2)[2] not in text


async def test_an_expired_or_revoked_token_of_the_tenant_is_logged_an_unknown_one_is_not(gateway, clock):
    tenant, admin = await tenant_with_admin(gateway)
    token_id = tenant["token"].split("_", 2)[1]
    for unknown in ("scf_0000_not-a-token", f"scf_{token_id}_not-its-secret"):
        assert (await gateway.get("/scim/v2/Users", headers=bearer(unknown))).status == 401
    clock.advance(days=366)
    expired = await gateway.get("/scim/v2/Users", headers=bearer(tenant["token"]))
    assert expired.status == 401
    await json_ok(await gateway.post("/admin/v1/tenant/token", headers=admin,
                                     json={"expires_in_days": 90, "replace": True}), 201)
    assert (await gateway.get("/scim/v2/Groups", headers=bearer(tenant["token"]))).status == 401
    found = await logged(gateway, admin, 2)
    assert [(c["path"], c["status"]) for c in found["items"]] == [("/scim/v2/Groups", 401), ("/scim/v2/Users", 401)]
    assert "revoked" in found["items"][0]["detail"] and "expired" in found["items"][1]["detail"]
    assert found["total_results"] == 2  # the unknown tokens' calls are nobody's (a guess names no tenant)


async def test_the_outcome_filter_and_the_last_call_for_the_idp_screen(gateway):
    tenant, admin = await tenant_with_admin(gateway)
    scim = bearer(tenant["token"])
    await gateway.get("/scim/v2/ServiceProviderConfig", headers=scim)
    await gateway.get("/scim/v2/Schemas/urn%3Anothing%20here", headers=scim)  # 404
    await gateway.get("/scim/v2/ResourceTypes", headers=scim)
    await logged(gateway, admin, 3)
    failed = await scim_log(gateway, admin, "?outcome=failed")
    assert [(c["path"], c["status"]) for c in failed["items"]] == [("/scim/v2/Schemas/urn:nothing here", 404)]
    last = await scim_log(gateway, admin, "?count=1")
    assert (last["total_results"], last["items_per_page"], last["items"][0]["path"]) == (3, 1, "/scim/v2/ResourceTypes")
    succeeded = await scim_log(gateway, admin, "?outcome=succeeded&startIndex=2")
    assert [c["path"] for c in succeeded["items"]] == ["/scim/v2/ServiceProviderConfig"]


@pytest.mark.parametrize("query", ["outcome=broken", "count=201", "count=x", "startIndex=0", "colour=red"])
async def test_bad_query_parameters_are_a_400_naming_the_problem(gateway, query):
    _, admin = await tenant_with_admin(gateway)
    response = await gateway.get(f"/admin/v1/tenant/scim-log?{query}", headers=admin)
    assert response.status == 400 and (await response.json())["detail"]


async def test_the_log_needs_an_admin_key(gateway):
    tenant, _ = await tenant_with_admin(gateway)
    assert (await gateway.get("/admin/v1/tenant/scim-log", headers=bearer(tenant["token"]))).status == 401
