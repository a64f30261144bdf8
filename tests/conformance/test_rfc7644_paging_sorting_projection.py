"""Paging, sorting, attribute projection and POST .search (RFC 7644 §3.4.2.3–§3.4.2.5, §3.4.3, §3.9)."""

from __future__ import annotations

import pytest

from tests.idp_flows.bodies import SCIMFLOW, eq, okta_user, op, patch, replacement, search
from tests.idp_flows.steps import create, create_group, create_user

SEVEN = 7
#: Created in this order, which no sort order matches, so an ignored sortBy cannot pass by accident.
CREATION_ORDER = (3, 0, 6, 1, 5, 2, 4)
ALWAYS = {"schemas", "id"}  # returned whatever attributes/excludedAttributes say (RFC 7643 §7)


def selected(resource: dict) -> set[str]:
    """The attributes a projected resource carries; ``meta`` may come along (Microsoft's reference
    provider returns it), the RFC only fixes the minimum."""
    return resource.keys() - {"meta"}


def numbered(index: int) -> dict:
    """user0…user6; family names and primary emails run the other way, the secondary email scrambled."""
    emails = [{"value": f"{chr(ord('z') - index)}@example.com", "type": "work", "primary": True},
              {"value": f"{'cabdgfe'[index]}@example.org", "type": "home"}]
    return okta_user(f"user{index}@example.com", family=f"Family{SEVEN - index}", emails=emails)


@pytest.fixture
async def users(scim) -> list[dict]:
    """Seven users, ``users[i]`` being user<i>, created in ``CREATION_ORDER``."""
    created = {index: await create(scim, "/Users", numbered(index)) for index in CREATION_ORDER}
    return [created[index] for index in range(SEVEN)]


async def page(scim, endpoint: str = "/Users", **params: object) -> dict:
    return (await scim.get(endpoint, params=params)).expect_list()


def names(listing: dict) -> list[str]:
    return [user["userName"] for user in listing["Resources"]]


@pytest.mark.parametrize("endpoint", ["/Users", "/Groups"])
async def test_empty_list_response_shape(scim, endpoint):
    """SCIM-NOTES §1.22 / RFC 7644 §3.4.2: ListResponse schema, integer totalResults, startIndex,
    itemsPerPage, and ``Resources`` present even when empty (Okta: integers, not strings)."""
    listing = await page(scim, endpoint)
    assert (listing["totalResults"], listing["startIndex"], listing["itemsPerPage"], listing["Resources"]) == (
        0, 1, 0, [])


async def test_list_of_users_and_groups(scim, users):
    """SCIM-NOTES §1.22 / RFC 7644 §3.4.2: every resource of the tenant, each a full resource with id."""
    await create_group(scim, users[0]["id"])
    listing = await page(scim)
    assert listing["totalResults"] == SEVEN and sorted(names(listing)) == sorted(u["userName"] for u in users)
    assert all(resource["meta"]["resourceType"] == "User" for resource in listing["Resources"])
    assert [group["meta"]["resourceType"] for group in (await page(scim, "/Groups"))["Resources"]] == ["Group"]


@pytest.mark.parametrize("start_index", [0, -5])
async def test_start_index_below_one_means_one(scim, users, start_index):
    """SCIM-NOTES §1.24 / RFC 7644 §3.4.2.4: "A value less than 1 SHALL be interpreted as 1"."""
    listing = await page(scim, startIndex=start_index, count=3)
    assert listing["startIndex"] == 1 and names(listing) == names(await page(scim, startIndex=1, count=3))


@pytest.mark.parametrize("count", [0, -1])
async def test_count_zero_or_negative_returns_only_the_total(scim, users, count):
    """SCIM-NOTES §1.24 / RFC 7644 §3.4.2.4: negative count is 0; 0 returns no resources, just totalResults."""
    listing = await page(scim, count=count)
    assert (listing["totalResults"], listing["itemsPerPage"], listing["Resources"]) == (SEVEN, 0, [])


async def test_items_per_page_is_what_the_page_holds(scim, users):
    """SCIM-NOTES §1.24: itemsPerPage = len(Resources), not the count asked for (ory/polis PR #4054)."""
    assert (await page(scim, count=3))["itemsPerPage"] == 3
    last = await page(scim, startIndex=6, count=100)
    assert (last["itemsPerPage"], last["startIndex"], last["totalResults"]) == (2, 6, SEVEN)


async def test_count_is_capped_at_max_results(scim, users):
    """SCIM-NOTES §1.24 / RFC 7644 §3.4.2.4: the server caps count at filter.maxResults, never errs."""
    max_results = (await scim.get("/ServiceProviderConfig")).expect(200)["filter"]["maxResults"]
    listing = await page(scim, count=max_results + 1000)
    assert listing["itemsPerPage"] == min(SEVEN, max_results) and listing["totalResults"] == SEVEN


@pytest.mark.parametrize("start_index", [SEVEN + 1, 1000])
async def test_start_index_past_the_end_is_an_empty_page(scim, users, start_index):
    """SCIM-NOTES §1.25: 200, ``Resources: []``, and the real totalResults (PostHog PR #51441)."""
    listing = await page(scim, startIndex=start_index, count=10)
    assert (listing["Resources"], listing["totalResults"], listing["startIndex"]) == ([], SEVEN, start_index)


@pytest.mark.parametrize("count", [1, 2, 3])
async def test_pages_have_a_stable_order_without_duplicates(scim, users, count):
    """SCIM-NOTES §1.26: without sortBy the order is still the same "regardless of count and startIndex"
    (Okta), so paging never skips or repeats a user (snipe-it#18014, Infisical#6554)."""
    everything = names(await page(scim))
    paged: list[str] = []
    for start_index in range(1, SEVEN + 1, count):
        paged += names(await page(scim, startIndex=start_index, count=count))
    assert paged == everything and len(set(paged)) == SEVEN


async def test_total_results_counts_every_match(scim, users):
    """SCIM-NOTES §1.27 / RFC 7644 §3.4.2.4: totalResults ignores paging (wso2/product-is#7320)."""
    listing = await page(scim, filter='userName sw "user"', startIndex=2, count=2)
    assert (listing["totalResults"], listing["itemsPerPage"]) == (SEVEN, 2)


@pytest.mark.parametrize("sort_by, key", [
    ("userName", lambda user: user["userName"]),
    ("name.familyName", lambda user: user["name"]["familyName"]),
    ("emails", lambda user: next(e["value"] for e in user["emails"] if e.get("primary"))),
])
@pytest.mark.parametrize("sort_order, reverse", [(None, False), ("ascending", False), ("descending", True)])
async def test_sort_by_and_sort_order(scim, users, sort_by, key, sort_order, reverse):
    """SCIM-NOTES §1.34 / RFC 7644 §3.4.2.3: sortBy any attribute path, ascending by default; a
    multi-valued attribute sorts by its primary value."""
    params = {"sortBy": sort_by} | ({"sortOrder": sort_order} if sort_order else {})
    listing = await page(scim, **params)
    assert names(listing) == [user["userName"] for user in sorted(users, key=key, reverse=reverse)]


async def test_sorting_applies_before_paging(scim, users):
    """SCIM-NOTES §1.34, §1.26 / RFC 7644 §3.4.2.3: the page is a slice of the sorted result."""
    listing = await page(scim, sortBy="name.familyName", sortOrder="descending", startIndex=3, count=2)
    assert names(listing) == ["user2@example.com", "user3@example.com"]


async def test_attributes_selects_what_is_returned(scim, users):
    """SCIM-NOTES §1.35, §1.21 / RFC 7644 §3.4.2.5: ``attributes=userName,emails`` returns those plus
    the ``returned: always`` ones (id, schemas), on GET and on list."""
    path = f"/Users/{users[0]['id']}"
    single = (await scim.get(path, params={"attributes": "userName,emails"})).expect(200)
    listed = (await page(scim, attributes="userName,emails", filter=eq("userName", users[0]["userName"])))
    for resource in (single, *listed["Resources"]):
        assert selected(resource) == ALWAYS | {"userName", "emails"}, resource
        assert resource["emails"] == users[0]["emails"]


async def test_attributes_accepts_sub_attributes_and_urns(scim, users):
    """SCIM-NOTES §1.35 / RFC 7644 §3.10: ``name.givenName`` and URN-qualified names select sub-parts."""
    params = {"attributes": f"name.givenName,{SCIMFLOW}:role"}
    found = (await scim.get(f"/Users/{users[0]['id']}", params=params)).expect(200)
    assert selected(found) == ALWAYS | {"name", SCIMFLOW}
    assert found["name"] == {"givenName": "Jane"} and found[SCIMFLOW] == {"role": "User"}


async def test_attributes_with_a_value_path(scim):
    """SCIM-NOTES §1.35: Microsoft's Postman collection asks ``attributes=emails[type eq "work"]``:
    200, only the work emails, nothing else but the always-returned attributes."""
    emails = [{"value": "w@example.com", "type": "work", "primary": True},
              {"value": "h@example.org", "type": "home"}]
    user = await create_user(scim, emails=emails)
    found = (await scim.get(f"/Users/{user['id']}", params={"attributes": 'emails[type eq "work"]'})).expect(200)
    assert selected(found) == ALWAYS | {"emails"} and found["emails"] == emails[:1]


async def test_excluded_attributes_removes_them_but_never_id(scim, users):
    """SCIM-NOTES §1.21, §1.35 / RFC 7643 §7: excluded attributes are left out; ``returned: always``
    ones (id, schemas) survive ``excludedAttributes=id,schemas``."""
    params = {"excludedAttributes": "emails,name,id,schemas"}
    single = (await scim.get(f"/Users/{users[0]['id']}", params=params)).expect(200)
    listed = await page(scim, **params)
    for resource in (single, *listed["Resources"]):
        assert ALWAYS <= resource.keys() and not {"emails", "name"} & resource.keys()
        assert resource["userName"] and resource["meta"]


async def test_projection_applies_to_write_responses(scim, users):
    """SCIM-NOTES §1.35 / RFC 7644 §3.9: attributes/excludedAttributes also shape POST, PUT and PATCH answers."""
    wanted = {"attributes": "userName"}
    posted = (await scim.post("/Users", json=okta_user("new@example.com"), params=wanted)).expect(201)
    body = replacement(users[0], title="Chief")
    put = (await scim.put(f"/Users/{users[0]['id']}", json=body, params=wanted)).expect(200)
    patched = (await scim.patch(f"/Users/{users[1]['id']}", json=patch(op("replace", "title", "Chief")),
                                params={"excludedAttributes": "emails"})).expect(200, 204)
    assert selected(posted) == selected(put) == ALWAYS | {"userName"}
    if patched is not None:
        assert ALWAYS <= patched.keys() and "emails" not in patched and patched["title"] == "Chief"


async def test_search_on_users(scim, users):
    """SCIM-NOTES §1.36 / RFC 7644 §3.4.3: ``POST /Users/.search`` takes a SearchRequest with filter,
    attributes, sortBy, sortOrder, startIndex and count, and answers a 200 ListResponse."""
    request = search(filter='userName sw "user"', attributes=["userName"], sortBy="userName",
                     sortOrder="descending", startIndex=2, count=3)
    listing = (await scim.post("/Users/.search", json=request)).expect_list()
    assert listing["totalResults"] == SEVEN and listing["startIndex"] == 2
    assert names(listing) == ["user5@example.com", "user4@example.com", "user3@example.com"]
    assert all(selected(resource) == ALWAYS | {"userName"} for resource in listing["Resources"])


async def test_search_with_excluded_attributes_and_no_match(scim, users):
    """SCIM-NOTES §1.36, §1.23 / RFC 7644 §3.4.3: excludedAttributes in the body; no match is an empty 200."""
    request = search(filter=eq("userName", users[0]["userName"]), excludedAttributes=["emails"])
    [found] = (await scim.post("/Users/.search", json=request)).expect_list()["Resources"]
    assert found["id"] == users[0]["id"] and "emails" not in found
    empty = (await scim.post("/Users/.search", json=search(filter='userName eq "nobody"'))).expect_list()
    assert (empty["totalResults"], empty["Resources"]) == (0, [])


async def test_search_at_the_root_spans_resource_types(scim, users):
    """SCIM-NOTES §1.36 / RFC 7644 §3.4.3: ``POST /.search`` searches every resource type."""
    group = await create_group(scim)
    for attribute, resource, resource_type in (("displayName", group, "Group"), ("userName", users[2], "User")):
        request = search(filter=eq(attribute, resource[attribute]))
        found = (await scim.post("/.search", json=request)).expect_list()
        assert [(r["id"], r["meta"]["resourceType"]) for r in found["Resources"]] == [
            (resource["id"], resource_type)]


async def test_search_with_a_bad_filter_is_400(scim):
    """SCIM-NOTES §1.36, §1.33 / RFC 7644 §3.4.3, §3.12: the same invalidFilter error as GET."""
    (await scim.post("/Users/.search", json=search(filter="userName eq"))).expect_error(400, "invalidFilter")

