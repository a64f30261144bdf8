"""The /Users slice through the real app factory, user store handlers and SQLite, on the in-memory bus."""

import pytest

from tests.conftest import OPERATOR_KEY

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

pytestmark = pytest.mark.usefixtures("user_store")


def okta_user(user_name: str = "jane@example.com") -> dict:
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "externalId": "00u1abcd",
        "password": "1mz050nq",
        "active": True,
        "groups": [],
    }


async def assert_scim_error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status == status
    assert response.content_type == SCIM
    body = await response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body["detail"]
    assert body.get("scimType") == scim_type
    return body


async def test_create_returns_201_with_id_meta_and_location(gateway, auth, tenant):
    """RFC 7644 §3.3: 201, server-assigned id, meta, Location = meta.location."""
    response = await gateway.post("/scim/v2/Users", json=okta_user(), headers=auth)
    assert response.status == 201
    assert response.content_type == SCIM
    body = await response.json()
    assert body["id"] and body["userName"] == "jane@example.com"
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"] == f"{tenant['scim_base_url']}/Users/{body['id']}"
    assert response.headers["Location"] == body["meta"]["location"]
    assert response.headers["ETag"] == body["meta"]["version"]
    assert "password" not in body and "groups" not in body


async def test_get_by_id_returns_the_created_body(gateway, auth):
    created = await (await gateway.post("/scim/v2/Users", json=okta_user(), headers=auth)).json()
    response = await gateway.get(f"/scim/v2/Users/{created['id']}", headers=auth)
    assert response.status == 200
    assert await response.json() == created


async def test_unknown_id_is_404_scim_error(gateway, auth):
    response = await gateway.get("/scim/v2/Users/does-not-exist", headers=auth)
    await assert_scim_error(response, 404)


async def test_filter_by_user_name_is_case_insensitive(gateway, auth):
    """RFC 7643 §4.1.1 userName caseExact=false; Okta's look-up before create."""
    created = await (await gateway.post("/scim/v2/Users", json=okta_user(), headers=auth)).json()
    response = await gateway.get(
        "/scim/v2/Users", params={"filter": 'userName eq "JANE@example.COM"', "startIndex": "1", "count": "100"},
        headers=auth,
    )
    body = await response.json()
    assert response.status == 200 and response.content_type == SCIM
    assert body["totalResults"] == 1 and body["itemsPerPage"] == 1 and body["startIndex"] == 1
    assert body["Resources"][0]["id"] == created["id"]


async def test_filter_that_matches_nothing_is_empty_list(gateway, auth):
    """RFC 7644 §3.4.2: no match is 200 with totalResults 0 (Entra's Test Connection)."""
    response = await gateway.get("/scim/v2/Users", params={"filter": 'userName eq "nobody"'}, headers=auth)
    assert response.status == 200
    assert await response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": [],
    }


async def test_duplicate_user_name_is_409_uniqueness_twice(gateway, auth):
    await gateway.post("/scim/v2/Users", json=okta_user(), headers=auth)
    for _ in range(2):  # the Microsoft Postman collection asserts it twice in a row
        response = await gateway.post("/scim/v2/Users", json=okta_user("JANE@example.com"), headers=auth)
        await assert_scim_error(response, 409, "uniqueness")


async def test_malformed_json_is_400_invalid_syntax(gateway, auth):
    response = await gateway.post("/scim/v2/Users", data=b'{"userName": ', headers=auth)
    await assert_scim_error(response, 400, "invalidSyntax")


async def test_missing_user_name_is_400_invalid_value(gateway, auth):
    body = okta_user()
    del body["userName"]
    response = await gateway.post("/scim/v2/Users", json=body, headers=auth)
    await assert_scim_error(response, 400, "invalidValue")


@pytest.mark.parametrize("change", [
    {"emails": [{"type": "work", "primary": True}]},  # RFC 7643 §2.4: the value is the email
    {"displayName": "Jane\x00Admin"},
    {"emails": [{"value": "jane@example.com\x00", "type": "work"}]},
])
async def test_an_email_without_value_or_a_nul_is_400_invalid_value_on_post_put_and_patch(gateway, auth, change):
    created = await gateway.post("/scim/v2/Users", json=okta_user("ann@example.com"), headers=auth)
    path = f"/scim/v2/Users/{(await created.json())['id']}"
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "value": change}]}
    for method, target, body in (("POST", "/scim/v2/Users", {**okta_user(), **change}),
                                 ("PUT", path, {**okta_user("ann@example.com"), **change}), ("PATCH", path, patch)):
        await assert_scim_error(await gateway.request(method, target, json=body, headers=auth), 400, "invalidValue")


async def test_a_group_display_name_with_nul_is_400_invalid_value(gateway, auth):
    response = await gateway.post("/scim/v2/Groups", json={"displayName": "Team\x00"}, headers=auth)
    await assert_scim_error(response, 400, "invalidValue")


@pytest.mark.parametrize("authorization", [None, "non-token", "Bearer scf_0000_wrong", "Bearer "])
async def test_missing_or_wrong_token_is_401(gateway, tenant, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = await gateway.get("/scim/v2/Users", headers=headers)
    await assert_scim_error(response, 401)


async def test_tenants_do_not_see_each_other(gateway, auth):
    created = await (await gateway.post("/scim/v2/Users", json=okta_user(), headers=auth)).json()
    other = await (await gateway.post("/admin/v1/tenants", json={"name": "other"},
                                      headers={"Authorization": f"Bearer {OPERATOR_KEY}"})).json()
    other_auth = {"Authorization": f"Bearer {other['token']}"}
    assert (await gateway.get(f"/scim/v2/Users/{created['id']}", headers=other_auth)).status == 404
    listing = await (await gateway.get("/scim/v2/Users", headers=other_auth)).json()
    assert listing["totalResults"] == 0
    again = await gateway.post("/scim/v2/Users", json=okta_user(), headers=other_auth)
    assert again.status == 201  # userName is unique per tenant, not globally


async def test_string_active_is_coerced(gateway, auth):
    """Microsoft Postman "Post emp1 with string True"."""
    body = okta_user() | {"active": "True"}
    created = await (await gateway.post("/scim/v2/Users", json=body, headers=auth)).json()
    assert created["active"] is True


async def test_a_filter_of_the_longest_length_fits_in_the_request_line(gateway, auth):
    """MAX_FILTER_LENGTH characters, percent-encoded (12 bytes each for an emoji, 4 in UTF-8): past
    aiohttp's default 8 190 bytes, which answered a plain-text 400 before any SCIM code ran."""
    from services.gateway.scim.queries import MAX_FILTER_LENGTH

    name = "\U0001f600" * (MAX_FILTER_LENGTH - len('userName eq ""'))
    response = await gateway.get("/scim/v2/Users", params={"filter": f'userName eq "{name}"'}, headers=auth)
    assert response.status == 200 and (await response.json())["totalResults"] == 0
    longer = await gateway.get("/scim/v2/Users", params={"filter": f'userName eq "{name}a"'}, headers=auth)
    assert longer.status == 400 and (await longer.json())["scimType"] == "invalidFilter"
