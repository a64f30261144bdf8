"""Create, read, replace and delete Users (RFC 7644 §3.3, §3.4.1, §3.5.1, §3.6; RFC 7643 §3, §4.1)."""

from __future__ import annotations

import pytest

from tests.idp_flows.bodies import SCIMFLOW, USER, entra_user, eq, okta_user, replacement, unique
from tests.idp_flows.client import timestamp
from tests.idp_flows.steps import create, create_user, look_up, read, send


async def test_create_returns_201_with_the_full_resource(scim):
    """SCIM-NOTES §1.11 / RFC 7644 §3.3: 201, the full resource as stored, ``Location`` =
    ``meta.location`` = the resource's own URL."""
    body = okta_user(f"{unique()}@example.com")
    response = await scim.post("/Users", json=body)
    created = response.expect(201)
    assert response.headers["Location"] == created["meta"]["location"]
    assert created["meta"]["location"].endswith(f"/Users/{created['id']}")
    for key in ("userName", "name", "emails", "displayName", "locale", "externalId", "active"):
        assert created[key] == body[key], key
    assert created[SCIMFLOW] == {**body[SCIMFLOW], "scimActive": True, "platformActive": True}


async def test_client_supplied_id_is_ignored(scim):
    """SCIM-NOTES §1.11, §1.52 / RFC 7643 §3.1: ``id`` is assigned by the server, never the client's,
    and never contains "bulkId" (Okta)."""
    created = await create_user(scim, id="chosen-by-client")
    assert created["id"] != "chosen-by-client" and "bulkId" not in created["id"]
    (await scim.get("/Users/chosen-by-client")).expect_error(404)


async def test_meta_is_complete(scim):
    """SCIM-NOTES §1.12 / RFC 7643 §3.1: resourceType, created and lastModified (xsd:dateTime with a
    zone), location, and version (ETags are on) equal to the ETag header."""
    response = await scim.post("/Users", json=okta_user(f"{unique()}@example.com"))
    meta = response.expect(201)["meta"]
    assert meta["resourceType"] == "User"
    assert timestamp(meta["created"]) <= timestamp(meta["lastModified"])
    assert meta["version"] and response.headers["ETag"] == meta["version"]


async def test_duplicate_user_name_is_409_uniqueness_every_time(scim):
    """SCIM-NOTES §1.13 / RFC 7644 §3.3: userName is unique case-insensitively (caseExact false);
    Microsoft's Postman collection asserts 409 twice in a row."""
    user = await create_user(scim)
    for attempt in (user["userName"], user["userName"].upper()):
        (await scim.post("/Users", json=okta_user(attempt))).expect_error(409, "uniqueness")
    assert (await look_up(scim, "/Users", eq("userName", user["userName"])))["totalResults"] == 1


@pytest.mark.parametrize("user_name", [None, "", "   ", 42])
async def test_missing_or_empty_user_name_is_400_invalid_value(scim, user_name):
    """SCIM-NOTES §1.14 / RFC 7643 §4.1.1: userName is REQUIRED ("Post no username" in Postman)."""
    body = okta_user("x@example.com") | {"userName": user_name}
    if user_name is None:
        del body["userName"]
    (await scim.post("/Users", json=body)).expect_error(400, "invalidValue")


async def test_malformed_json_is_400_invalid_syntax(scim):
    """SCIM-NOTES §1.14 / RFC 7644 §3.12: unparsable body ⇒ 400 invalidSyntax ("Post junk")."""
    (await scim.post("/Users", data=b'{"userName": "junk@example.com",')).expect_error(400, "invalidSyntax")


@pytest.mark.parametrize("content_type, accept", [
    ("application/json", "application/scim+json; charset=utf-8"),
    ("application/json; charset=utf-8", "application/json"),
    ("application/scim+json; charset=utf-8", "application/scim+json"),
])
async def test_json_media_types_and_charset_are_accepted(scim, content_type, accept):
    """SCIM-NOTES §1.2 / RFC 7644 §3.1, §8.1: Okta's spec test posts ``application/json`` with
    ``Accept: application/scim+json; charset=utf-8``; answers are still ``application/scim+json``."""
    response = await scim.post("/Users", json=okta_user(f"{unique()}@example.com"),
                               headers={"Content-Type": content_type, "Accept": accept})
    assert response.expect(201)["id"]


async def test_get_returns_the_requested_user(scim):
    """SCIM-NOTES §1.17 / RFC 7644 §3.4.1: 200 and ``id`` equals the requested id."""
    created = await create_user(scim)
    assert await read(scim, f"/Users/{created['id']}") == created


async def test_put_replaces_and_clears_omitted_attributes(scim):
    """SCIM-NOTES §1.18 / RFC 7644 §3.5.1: PUT replaces all readWrite attributes; omitted ones are cleared."""
    user = await create_user(scim, title="Engineer", nickName="Janie")
    body = replacement(user, title=None, nickName=None, name={"givenName": "Janet", "familyName": "Doe"})
    updated = await send(scim, "PUT", f"/Users/{user['id']}", body)
    assert "title" not in updated and "nickName" not in updated
    assert updated["name"] == {"givenName": "Janet", "familyName": "Doe"} and updated["id"] == user["id"]
    assert await read(scim, f"/Users/{user['id']}") == updated


async def test_put_ignores_read_only_attributes(scim):
    """SCIM-NOTES §1.18 / RFC 7644 §3.5.1: ``id``, ``meta`` and ``groups`` in a PUT body are ignored."""
    user = await create_user(scim)
    body = replacement(user, id="another-id", groups=[{"value": "some-group"}],
                       meta={"created": "2001-01-01T00:00:00Z", "resourceType": "Group"})
    updated = await send(scim, "PUT", f"/Users/{user['id']}", body)
    assert updated["id"] == user["id"] and not updated.get("groups")
    assert (updated["meta"]["created"], updated["meta"]["resourceType"]) == (user["meta"]["created"], "User")


async def test_put_without_required_user_name_is_400(scim):
    """SCIM-NOTES §1.18 / RFC 7644 §3.5.1: a PUT missing a required attribute is a 400, nothing changes."""
    user = await create_user(scim)
    response = await scim.put(f"/Users/{user['id']}", json=replacement(user, userName=None))
    response.expect_error(400, "invalidValue")
    assert await read(scim, f"/Users/{user['id']}") == user


async def test_put_ignores_unknown_attributes(scim):
    """SCIM-NOTES §1.15: "Put a user misspelled attribute" (Microsoft Postman) ⇒ 200, not echoed."""
    user = await create_user(scim)
    body = replacement(user, adresses=[{"locality": "Paris"}], favouriteColour="teal")
    updated = await send(scim, "PUT", f"/Users/{user['id']}", body)
    assert "adresses" not in updated and "favouriteColour" not in updated and "addresses" not in updated


@pytest.mark.parametrize("sent, stored", [("True", True), ("False", False), ("true", True)])
async def test_string_booleans_are_coerced(scim, sent, stored):
    """SCIM-NOTES §1.16: ``"active":"True"`` on POST yields ``active: true`` ("Post emp1 with string True")."""
    assert (await create_user(scim, active=sent))["active"] is stored


async def test_delete_is_204_then_the_user_is_gone(scim):
    """SCIM-NOTES §1.19 / RFC 7644 §3.6: 204 with no body; then GET, a second DELETE and look-ups miss."""
    user = await create_user(scim)
    assert (await scim.delete(f"/Users/{user['id']}")).expect(204) is None
    (await scim.get(f"/Users/{user['id']}")).expect_error(404)
    (await scim.delete(f"/Users/{user['id']}")).expect_error(404)
    assert (await look_up(scim, "/Users", eq("userName", user["userName"])))["Resources"] == []


async def test_deactivated_users_are_still_returned(scim):
    """SCIM-NOTES §1.19: active=false users stay visible to GET and list ("only time the user shouldn't be
    returned is when it's hard deleted", Entra)."""
    user = await create_user(scim, active=False)
    assert (await read(scim, f"/Users/{user['id']}"))["active"] is False
    [found] = (await look_up(scim, "/Users", eq("userName", user["userName"])))["Resources"]
    assert found["id"] == user["id"] and found["active"] is False


async def test_password_is_never_returned(scim):
    """SCIM-NOTES §1.20 / RFC 7643 §4.1.1: ``returned: never`` — not in the POST or PUT echo, GET, list,
    nor when asked for with ``attributes=password``."""
    user = await create_user(scim)  # Okta's body carries "password"
    path = f"/Users/{user['id']}"
    put = await send(scim, "PUT", path, replacement(user, password="n3w-Secret"))
    named = (await scim.get(path, params={"attributes": "password,userName"})).expect(200)
    listed = await look_up(scim, "/Users", eq("userName", user["userName"]), attributes="password")
    for body in (user, put, await read(scim, path), named, *listed["Resources"]):
        assert "password" not in body, body


async def test_id_is_stable_and_case_exact(scim):
    """SCIM-NOTES §1.52 / RFC 7643 §3.1: ``id`` survives a PUT unchanged and matches only exactly."""
    user = await create_user(scim)
    updated = await send(scim, "PUT", f"/Users/{user['id']}", replacement(user, displayName="Renamed"))
    assert updated["id"] == user["id"]
    assert (await look_up(scim, "/Users", eq("id", user["id"])))["totalResults"] == 1
    if user["id"].swapcase() != user["id"]:
        assert (await look_up(scim, "/Users", eq("id", user["id"].swapcase())))["totalResults"] == 0


async def test_external_id_is_client_owned_and_case_exact(scim):
    """SCIM-NOTES §1.52, §1.30 / RFC 7643 §3.1: the client may change externalId; it compares exactly."""
    user = await create_user(scim, externalId="00uAbCdEf")
    updated = await send(scim, "PUT", f"/Users/{user['id']}", replacement(user, externalId="00uXyZ"))
    assert updated["externalId"] == "00uXyZ"
    assert (await look_up(scim, "/Users", eq("externalId", "00uXyZ")))["totalResults"] == 1
    for stale in ("00uAbCdEf", "00UXYZ"):
        assert (await look_up(scim, "/Users", eq("externalId", stale)))["totalResults"] == 0


async def test_two_primary_emails_are_rejected(scim):
    """SCIM-NOTES §1.53 / RFC 7643 §2.4: "primary" true "MUST appear no more than once"."""
    emails = [{"value": "a@example.com", "type": "work", "primary": True},
              {"value": "b@example.com", "type": "home", "primary": True}]
    (await scim.post("/Users", json=okta_user("a@example.com", emails=emails))).expect_error(400, "invalidValue")


async def test_values_are_stored_verbatim(scim):
    """SCIM-NOTES §1.55: "Transformations of data shouldn't happen" (Entra): case, accents, punctuation kept."""
    user_name = f"Zoë.O'Brien+{unique()}@Example.COM"
    user = await create_user(scim, user_name, displayName="Zoë  O'Brien", title="VP, R&D / EMEA",
                             emails=[{"value": user_name, "type": "work", "primary": True}])
    stored = await read(scim, f"/Users/{user['id']}")
    assert (stored["userName"], stored["displayName"], stored["title"]) == (
        user_name, "Zoë  O'Brien", "VP, R&D / EMEA")
    assert stored["emails"][0]["value"] == user_name


@pytest.mark.parametrize("attribute, change", [
    ("creditLimit", {SCIMFLOW: {"role": "User", "creditLimit": "lots"}}),
    ("active", {"active": "maybe"}),
    ("emails", {"emails": "jane@example.com"}),
])
async def test_invalid_values_are_rejected_with_a_descriptive_400(scim, attribute, change):
    """SCIM-NOTES §1.55 / RFC 7644 §3.12: a value of the wrong type ⇒ 400 invalidValue naming the attribute."""
    body = okta_user(f"{unique()}@example.com") | change
    error = (await scim.post("/Users", json=body)).expect_error(400, "invalidValue")
    assert attribute.lower() in error["detail"].lower()


async def test_extension_attributes_live_under_their_urn(scim):
    """SCIM-NOTES §1.54 / RFC 7643 §3.3: our extension's attributes sit under its URN, which is in
    ``schemas``; nothing leaks to the top level."""
    body = okta_user(f"{unique()}@example.com")
    user = await create(scim, "/Users", body)
    assert {USER, SCIMFLOW} <= set(user["schemas"])
    assert user[SCIMFLOW] == {**body[SCIMFLOW], "scimActive": True, "platformActive": True}
    assert not {"role", "products", "scimActive", "platformActive"} & user.keys()


async def test_entra_nulls_mean_unset(scim):
    """SCIM-NOTES §1.55 and §3 (Entra create example): ``"title": null`` etc. are accepted as "unset"."""
    user = await create(scim, "/Users", entra_user(f"{unique()}@contoso.com", with_nulls=True))
    assert not {"addresses", "phoneNumbers", "title"} & user.keys()


async def test_resource_paths_are_case_insensitive(scim):
    """SCIM-NOTES §1.6: Microsoft's Postman collection calls ``/users`` (AzureAD/SCIMReferenceCode#43)."""
    user = await create(scim, "/users", okta_user(f"{unique()}@example.com"))
    assert await read(scim, f"/users/{user['id']}") == await read(scim, f"/USERS/{user['id']}") == user
    assert (await scim.get("/users", params={"filter": eq("userName", user["userName"])})).expect_list()[
        "totalResults"] == 1
    (await scim.get("/groups")).expect_list()
