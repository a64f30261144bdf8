"""POST /Bulk through the gateway: one operation's unexpected failure is that operation's (RFC 7644 §3.7.3)."""

import pytest

from services.gateway.views import bulk as bulk_view

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
