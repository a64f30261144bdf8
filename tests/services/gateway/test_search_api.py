"""POST /.search pages over Users then Groups as one list (RFC 7644 §3.4.3)."""

import pytest

pytestmark = pytest.mark.usefixtures("user_store")

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


async def created(gateway, auth, path: str, body: dict) -> str:
    response = await gateway.post(f"/scim/v2/{path}", json=body, headers=auth)
    assert response.status == 201, await response.text()
    return (await response.json())["id"]


@pytest.mark.parametrize(("start_index", "count", "expected"), [
    (1, 10, ["u0", "u1", "u2", "g0", "g1"]), (3, 2, ["u2", "g0"]), (4, 5, ["g0", "g1"]), (6, 5, []),
    (2, 0, []),
])
async def test_root_search_pages_across_resource_types(gateway, auth, start_index, count, expected):
    ids = {}
    for i in range(3):
        ids[f"u{i}"] = await created(gateway, auth, "Users", {"userName": f"u{i}", "externalId": f"x{i}"})
    for i in range(2):
        ids[f"g{i}"] = await created(gateway, auth, "Groups", {"displayName": f"g{i}", "externalId": f"y{i}"})
    body = {"schemas": [SEARCH], "filter": "externalId pr", "startIndex": start_index, "count": count}
    response = await gateway.post("/scim/v2/.search", json=body, headers=auth)
    page = await response.json()
    assert response.status == 200, page
    assert [r["id"] for r in page["Resources"]] == [ids[name] for name in expected]
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, start_index, len(expected))


async def test_root_search_with_an_attribute_of_one_type_searches_that_type(gateway, auth):
    await created(gateway, auth, "Users", {"userName": "ann"})
    body = {"schemas": [SEARCH], "filter": 'userName eq "ann"'}
    page = await (await gateway.post("/scim/v2/.search", json=body, headers=auth)).json()
    assert [r["meta"]["resourceType"] for r in page["Resources"]] == ["User"]


async def test_root_search_with_a_bad_filter_is_400(gateway, auth):
    body = {"schemas": [SEARCH], "filter": "userName eq"}
    response = await gateway.post("/scim/v2/.search", json=body, headers=auth)
    assert response.status == 400 and (await response.json())["scimType"] == "invalidFilter"


@pytest.mark.parametrize(("member", "scim_type"), [
    ({"attributes": 5}, "invalidValue"), ({"attributes": [5]}, "invalidValue"), ({"excludedAttributes": 7}, "invalidValue"),
    ({"sortBy": ["userName"]}, "invalidValue"), ({"filter": 5}, "invalidFilter"), ({"filter": ["x"]}, "invalidFilter"),
    ({"schemas": SEARCH}, "invalidValue"),  # a string, not the list of schema URNs
])
async def test_search_members_of_the_wrong_json_type_are_400_not_ignored(gateway, auth, member, scim_type):
    """A filter that is not a string must not be left out: that answered with every user."""
    body = {"schemas": [SEARCH], **member}
    response = await gateway.post("/scim/v2/Users/.search", json=body, headers=auth)
    assert response.status == 400 and (await response.json())["scimType"] == scim_type


async def test_search_members_may_be_null(gateway, auth):
    await created(gateway, auth, "Users", {"userName": "ann"})
    body = {"schemas": [SEARCH], "filter": None, "attributes": None, "sortBy": None, "count": None}
    page = await (await gateway.post("/scim/v2/Users/.search", json=body, headers=auth)).json()
    assert [r["userName"] for r in page["Resources"]] == ["ann"]
