"""The tenant's email-change policy applies to what the IdP pushes (the Zoom guide)."""

import pytest

from tests.services.gateway.admin_support import bearer, json_ok, tenant_with_admin

pytestmark = pytest.mark.usefixtures("user_store")


@pytest.mark.parametrize("accept", [True, False])
async def test_put_and_patch_follow_the_email_policy(gateway, accept):
    tenant, admin = await tenant_with_admin(gateway)
    await json_ok(await gateway.put("/admin/v1/tenant/policies", json={"accept_email_changes": accept},
                                    headers=admin))
    scim = bearer(tenant["token"])
    body = {"userName": "ann", "emails": [{"value": "ann@old.example", "type": "work"}]}
    user = await json_ok(await gateway.post("/scim/v2/Users", json=body, headers=scim), 201)
    changed = {**body, "emails": [{"value": "ann@new.example", "type": "work"}], "title": "Boss"}
    after_put = await json_ok(await gateway.put(f"/scim/v2/Users/{user['id']}", json=changed, headers=scim))
    expected = "ann@new.example" if accept else "ann@old.example"
    assert after_put["emails"][0]["value"] == expected and after_put["title"] == "Boss"
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ann@patch.example"}]}
    after_patch = await json_ok(await gateway.patch(f"/scim/v2/Users/{user['id']}", json=patch, headers=scim))
    assert after_patch["emails"][0]["value"] == ("ann@patch.example" if accept else "ann@old.example")
