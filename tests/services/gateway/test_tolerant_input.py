"""Issue 22: SCIM input as real clients send it, through the production app factory and the user store on the
in-memory bus: unquoted filter values, trailing slashes, ``schemas`` repeated in an extension's PATCH value."""

import pytest

from tests.services.gateway.admin_support import add_admin, bearer, json_ok

pytestmark = pytest.mark.usefixtures("user_store")

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def person(user_name: str, family_name: str, email: str, external_id: str) -> dict:
    return {"schemas": [USER_SCHEMA], "userName": user_name, "externalId": external_id,
            "name": {"givenName": "Test", "familyName": family_name},
            "emails": [{"value": email, "type": "work", "primary": True}]}


@pytest.fixture
async def people(gateway, auth) -> dict[str, str]:
    """userName -> id of three users shaped for Microsoft's example filters."""
    ids = {}
    for body in (person("Olivia@contoso.test", "Employee", "olivia@example.com", "jyoung"),
                 person("bob@contoso.test", "Employee", "bob@example.org", "bsmith"),
                 person("carol@contoso.test", "Other", "carol@example.com", "cjones")):
        created = await json_ok(await gateway.post("/scim/v2/Users", json=body, headers=auth), 201)
        ids[created["userName"]] = created["id"]
    return ids


async def found(gateway, auth, filter_: str, path: str = "/scim/v2/Users") -> set[str]:
    body = await json_ok(await gateway.get(path, params={"filter": filter_}, headers=auth))
    return {resource["userName"] for resource in body["Resources"]}


@pytest.mark.parametrize(("filter_", "expected"), [
    ("externalId eq jyoung", {"Olivia@contoso.test"}),
    ("userName sw O", {"Olivia@contoso.test"}),
    ("meta.Created gt 2015-10-10T14:38:21.8617979-07:00", {"Olivia@contoso.test", "bob@contoso.test",
                                                           "carol@contoso.test"}),
    ("name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)",
     {"Olivia@contoso.test", "bob@contoso.test"}),
    ("emails[type eq work and value eq bob@example.org]", {"bob@contoso.test"}),
])
async def test_unquoted_filter_values_as_microsoft_sends_them(gateway, auth, people, filter_, expected):
    """Microsoft's SCIM examples and Entra's documentation (``externalId eq jyoung``) leave values unquoted,
    which RFC 7644 §3.4.2.2 does not; a 400 or an empty answer there makes the IdP create duplicates."""
    assert await found(gateway, auth, filter_) == expected


async def test_an_unquoted_value_that_could_be_read_two_ways_is_400_saying_how_to_quote(gateway, auth):
    """RFC 7644 §3.4.2.2, §3.12: invalidFilter, and the detail says to quote the value."""
    for filter_, hint in (("userName eq John Smith", "double quotes"), ('externalId eq 12345', 'externalId eq "12345"'),
                          ("userName eq and", 'userName eq "and"')):
        response = await gateway.get("/scim/v2/Users", params={"filter": filter_}, headers=auth)
        body = await response.json(content_type=None)
        assert (response.status, body["scimType"]) == (400, "invalidFilter")
        assert hint in body["detail"]


async def test_a_trailing_slash_before_the_query(gateway, auth, people):
    """``GET /scim/v2/Users/?filter=...`` is ``GET /scim/v2/Users?filter=...`` (RFC 7644 §3.4.2)."""
    assert await found(gateway, auth, "externalId eq jyoung", "/scim/v2/Users/") == {"Olivia@contoso.test"}
    body = await json_ok(await gateway.get("/scim/v2/users/", params={"count": "1"}, headers=auth))
    assert body["totalResults"] == 3


async def test_a_trailing_slash_on_every_user_and_group_route(gateway, auth):
    """RFC 7644 §3.2 endpoints: ``/Users/``, ``/Users/{id}/``, ``/Groups/``, ``/Groups/{id}/`` are the same."""
    created = await json_ok(await gateway.post("/scim/v2/Users/", json=person("u@x.test", "U", "u@x.test", "u"),
                                               headers=auth), 201)
    at = f"/scim/v2/Users/{created['id']}/"
    assert (await json_ok(await gateway.get(at, headers=auth)))["id"] == created["id"]
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "T"}]}
    assert (await json_ok(await gateway.patch(at, json=patch, headers=auth)))["title"] == "T"
    replaced = await json_ok(await gateway.put(at, json=person("u@x.test", "V", "u@x.test", "u"), headers=auth))
    assert replaced["name"]["familyName"] == "V"
    group = await json_ok(await gateway.post("/scim/v2/Groups/", json={
        "schemas": [GROUP_SCHEMA], "displayName": "Team", "members": [{"value": created["id"]}]}, headers=auth), 201)
    assert (await json_ok(await gateway.get(f"/scim/v2/Groups/{group['id']}/", headers=auth)))["displayName"] == "Team"
    assert (await json_ok(await gateway.get("/scim/v2/Groups/", headers=auth)))["totalResults"] == 1
    assert (await gateway.delete(f"/scim/v2/Groups/{group['id']}/", headers=auth)).status == 204
    assert (await gateway.delete(at, headers=auth)).status == 204
    assert (await gateway.get(at, headers=auth)).status == 404


async def test_a_trailing_slash_on_bulk_search_and_discovery(gateway, auth):
    """RFC 7644 §3.7 ``/Bulk/``, §3.4.3 ``/.search/``, §4 discovery endpoints with a trailing slash."""
    bulk = {"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users/", "bulkId": "a", "data": {"userName": "ann@x.test"}}]}
    results = (await json_ok(await gateway.post("/scim/v2/Bulk/", json=bulk, headers=auth)))["Operations"]
    assert [r["status"] for r in results] == ["201"]
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName eq ann@x.test"}
    for path in ("/scim/v2/Users/.search/", "/scim/v2/.search/"):
        assert (await json_ok(await gateway.post(path, json=search, headers=auth)))["totalResults"] == 1
    for path in ("/scim/v2/ServiceProviderConfig/", "/scim/v2/Schemas/", f"/scim/v2/Schemas/{ENTERPRISE}/",
                 "/scim/v2/ResourceTypes/", "/scim/v2/ResourceTypes/User/"):
        await json_ok(await gateway.get(path, headers=auth))


async def test_a_search_with_a_trailing_slash_is_a_read_while_managing_users_is_off(gateway, tenant, auth):
    """RFC 7644 §3.4.3: ``POST /.search`` only reads, with or without the slash, so it works while writes are 403."""
    admin = await add_admin(gateway, tenant["tenant_id"])
    await json_ok(await gateway.put("/admin/v1/tenant/connection", json={"manage_users_through_idp": False},
                                    headers=bearer(admin["admin_key"])))
    await json_ok(await gateway.post("/scim/v2/Users/.search/", json={"filter": 'userName eq "x"'}, headers=auth))
    assert (await gateway.post("/scim/v2/Users/", json=person("w@x.test", "W", "w@x.test", "w"),
                               headers=auth)).status == 403


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_me_with_a_trailing_slash_is_not_implemented(gateway, auth, method):
    """RFC 7644 §3.11: a server without /Me answers 501, not 404, whichever way the path is written."""
    response = await gateway.request(method, "/scim/v2/Me/", headers=auth)
    body = await response.json(content_type=None)
    assert (response.status, body["schemas"], body["status"]) == (501, [ERROR_SCHEMA], "501")
    assert "/Me is not supported" in body["detail"]


@pytest.mark.parametrize("op", ["add", "replace"])
async def test_patch_on_an_extension_urn_ignores_a_repeated_schemas(gateway, auth, op):
    """Generic clients copy the whole extension object as the value of a path naming the extension (RFC 7644
    §3.5.2.1, §3.5.2.3), ``schemas`` included; the server keeps ``schemas`` itself (RFC 7643 §3)."""
    created = await json_ok(await gateway.post("/scim/v2/Users", json=person("e@x.test", "E", "e@x.test", "e"),
                                               headers=auth), 201)
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": op, "path": ENTERPRISE, "value": {
        "schemas": [USER_SCHEMA, ENTERPRISE], "employeeNumber": "7"}}]}
    patched = await json_ok(await gateway.patch(f"/scim/v2/Users/{created['id']}", json=patch, headers=auth))
    assert patched[ENTERPRISE]["employeeNumber"] == "7"
    assert ENTERPRISE in patched["schemas"]
