"""POST /Bulk through the gateway: one operation's unexpected failure is that operation's (RFC 7644 §3.7.3);
its operations count against the tenant's rate."""

import pytest

from contracts.topics import USERS_COMMANDS
from services.gateway.scim_api import bulk as bulk_view
from tests.services.gateway.admin_support import (
    bearer,
    create_tenant,
    json_ok,
    published,
    start_gateway,
    user,
)

pytestmark = pytest.mark.usefixtures("user_store")

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


async def test_an_unexpected_failure_is_its_operations_500_and_the_others_results_stand(gateway, auth, monkeypatch):
    """The operations before it ran (a user was created): a 500 for the whole request would hide that."""
    real = bulk_view._run

    async def failing_deletes(request, operation, bulk_ids):
        if operation.method == "DELETE":
            raise RuntimeError("boom")
        return await real(request, operation, bulk_ids)

    monkeypatch.setattr(bulk_view, "_run", failing_deletes)
    body = {"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"userName": "ann"}},
        {"method": "DELETE", "path": "/Users/bulkId:a"}]}
    response = await gateway.post("/scim/v2/Bulk", json=body, headers=auth)
    results = (await response.json())["Operations"]
    assert response.status == 200 and [r["status"] for r in results] == ["201", "500"]
    assert "location" in results[0] and "boom" not in str(results[1])


@pytest.mark.parametrize("schemas", [1, 1.5, True])
async def test_schemas_that_is_not_a_list_is_400_invalid_syntax(gateway, auth, schemas):
    """RFC 7644 §3.7: ``schemas`` lists the BulkRequest URN; a number or boolean was a TypeError, a 500."""
    response = await gateway.post("/scim/v2/Bulk", json={"schemas": schemas, "Operations": []}, headers=auth)
    body = await response.json()
    assert (response.status, body["status"], body["scimType"]) == (400, "400", "invalidSyntax")


def creates(*user_names: str) -> dict:
    return {"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": f"b{i}", "data": user(name)} for i, name in enumerate(user_names)]}


async def small_rate(aiohttp_client, memory_bus, tmp_path, clock):
    """A gateway whose tenants may make 1 call a second, 5 at once; and a tenant's token."""
    client = await start_gateway(aiohttp_client, memory_bus, tmp_path, clock,
                                 rate_limit_per_second=1, rate_limit_burst_seconds=5)
    return client, bearer((await create_tenant(client))["token"])


async def test_a_bulks_operations_count_against_the_tenants_rate(aiohttp_client, memory_bus, tmp_path, clock):
    """A Bulk of 3 takes 3 of the 5 calls a full bucket holds: 2 calls are left, not 4."""
    client, token = await small_rate(aiohttp_client, memory_bus, tmp_path, clock)
    results = (await json_ok(await client.post("/scim/v2/Bulk", json=creates("a@x.example", "b@x.example",
                                                                               "c@x.example"), headers=token)))
    assert [r["status"] for r in results["Operations"]] == ["201"] * 3
    assert [(await client.get("/scim/v2/Users", headers=token)).status for _ in range(3)] == [200, 200, 429]


async def test_a_bulk_larger_than_the_burst_waits_for_a_full_bucket_and_the_next_calls_for_the_rate(
        aiohttp_client, memory_bus, tmp_path, clock):
    client, token = await small_rate(aiohttp_client, memory_bus, tmp_path, clock)
    await json_ok(await client.get("/scim/v2/Users", headers=token))
    commands_before = len(await published(memory_bus, USERS_COMMANDS.name))
    names = [f"u{i}@x.example" for i in range(8)]
    refused = await client.post("/scim/v2/Bulk", json=creates(*names), headers=token)
    body = await refused.json()
    assert (refused.status, refused.headers["Retry-After"], body["status"]) == (429, "1", "429")
    assert "8 operations count as 8 calls" in body["detail"] and "larger than the 5 calls" in body["detail"]
    assert len(await published(memory_bus, USERS_COMMANDS.name)) == commands_before  # nothing ran
    clock.advance(seconds=1)
    results = await json_ok(await client.post("/scim/v2/Bulk", json=creates(*names), headers=token))
    assert [r["status"] for r in results["Operations"]] == ["201"] * 8
    after = await client.get("/scim/v2/Users", headers=token)
    assert (after.status, after.headers["Retry-After"]) == (429, "4")  # 3 calls in debt, paid at 1 a second

