"""Bulk (RFC 7644 §3.7): per-operation results, bulkId references, failOnErrors and the 413 limits."""

from __future__ import annotations

from typing import Any

from tests.idp_flows.bodies import (
    BULK_REQUEST,
    BULK_RESPONSE,
    eq,
    group,
    okta_user,
    op,
    patch,
    replacement,
    unique,
)
from tests.idp_flows.client import ScimClient
from tests.idp_flows.steps import create_user, look_up, member_ids, read


def bulk(*operations: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"schemas": [BULK_REQUEST], **fields, "Operations": list(operations)}


def operation(method: str, path: str, data: Any = None, **fields: Any) -> dict[str, Any]:
    return {"method": method, "path": path, **fields} | ({"data": data} if data is not None else {})


async def send_bulk(scim: ScimClient, request: dict[str, Any]) -> list[dict[str, Any]]:
    """POST /Bulk ⇒ 200 BulkResponse; its operations, each with method and a string status."""
    response = (await scim.post("/Bulk", json=request)).expect(200)
    assert response["schemas"] == [BULK_RESPONSE]
    for result in response["Operations"]:
        assert result["method"] and isinstance(result["status"], str), result
    return response["Operations"]


async def limits(scim: ScimClient) -> dict[str, Any]:
    return (await scim.get("/ServiceProviderConfig")).expect(200)["bulk"]


async def test_bulk_creates_and_resolves_bulk_ids(scim):
    """SCIM-NOTES §1.51, §1.11 / RFC 7644 §3.7.2: a group refers to a user created in the same request as
    ``bulkId:<id>``; each result has bulkId, location and status "201"; real ids never say "bulkId"."""
    user_name = f"{unique()}@example.com"
    results = await send_bulk(scim, bulk(
        operation("POST", "/Users", okta_user(user_name), bulkId="jane"),
        operation("POST", "/Groups", group(unique("Bulk "), ("bulkId:jane",)), bulkId="team"),
    ))
    assert [(r["bulkId"], r["status"]) for r in results] == [("jane", "201"), ("team", "201")]
    user_id, group_id = (r["location"].rsplit("/", 1)[-1] for r in results)
    assert "bulkId" not in user_id and (await read(scim, f"/Users/{user_id}"))["userName"] == user_name
    assert await member_ids(scim, group_id) == [user_id]


async def test_bulk_put_patch_and_delete(scim):
    """SCIM-NOTES §1.51 / RFC 7644 §3.7: PUT, PATCH and DELETE by path, each with its own status."""
    first, second = await create_user(scim), await create_user(scim)
    body = replacement(first, title="Put")
    results = await send_bulk(scim, bulk(
        operation("PUT", f"/Users/{first['id']}", body),
        operation("PATCH", f"/Users/{second['id']}", patch(op("replace", "title", "Patched"))),
        operation("DELETE", f"/Users/{first['id']}"),
    ))
    assert [r["status"] for r in results] in (["200", "200", "204"], ["200", "204", "204"])
    assert (await read(scim, f"/Users/{second['id']}"))["title"] == "Patched"
    (await scim.get(f"/Users/{first['id']}")).expect_error(404)


async def duplicate_then_new(scim: ScimClient, **fields: Any) -> tuple[list[dict[str, Any]], str]:
    """A Bulk whose first POST repeats a taken userName and whose second is new; (results, new name)."""
    taken, user_name = await create_user(scim), f"{unique()}@example.com"
    results = await send_bulk(scim, bulk(
        operation("POST", "/Users", okta_user(taken["userName"]), bulkId="dup"),
        operation("POST", "/Users", okta_user(user_name), bulkId="new"),
        **fields,
    ))
    return results, user_name


async def test_each_failure_is_reported_in_its_operation(scim):
    """SCIM-NOTES §1.51, §1.49 / RFC 7644 §3.7.3: a failed operation carries its status and an Error
    ``response``; without failOnErrors the others still run."""
    results, user_name = await duplicate_then_new(scim)
    assert [r["status"] for r in results] == ["409", "201"]
    error = results[0]["response"]
    assert (error["status"], error["scimType"]) == ("409", "uniqueness") and error["detail"]
    assert (await look_up(scim, "/Users", eq("userName", user_name)))["totalResults"] == 1


async def test_fail_on_errors_stops_processing(scim):
    """SCIM-NOTES §1.51 / RFC 7644 §3.7.3: after ``failOnErrors`` errors the rest is not performed."""
    results, user_name = await duplicate_then_new(scim, failOnErrors=1)
    assert [r["status"] for r in results] == ["409"]
    assert (await look_up(scim, "/Users", eq("userName", user_name)))["totalResults"] == 0


async def test_too_many_operations_is_413(scim):
    """SCIM-NOTES §1.51, §1.50 / RFC 7644 §3.7.4: more than ``bulk.maxOperations`` ⇒ 413, nothing done."""
    maximum = (await limits(scim))["maxOperations"]
    names = [f"{unique()}@example.com" for _ in range(maximum + 1)]
    request = bulk(*(operation("POST", "/Users", okta_user(name), bulkId=f"b{i}") for i, name in enumerate(names)))
    (await scim.post("/Bulk", json=request)).expect_error(413)
    assert (await look_up(scim, "/Users", eq("userName", names[0])))["totalResults"] == 0


async def test_payload_over_max_payload_size_is_413(scim):
    """SCIM-NOTES §1.51, §1.50 / RFC 7644 §3.7.4: a body over ``bulk.maxPayloadSize`` bytes ⇒ 413."""
    maximum = (await limits(scim))["maxPayloadSize"]
    user_name = f"{unique()}@example.com"
    request = bulk(operation("POST", "/Users", okta_user(user_name, title="x" * maximum), bulkId="big"))
    (await scim.post("/Bulk", json=request)).expect_error(413)
    assert (await look_up(scim, "/Users", eq("userName", user_name)))["totalResults"] == 0
