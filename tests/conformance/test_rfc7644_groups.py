"""/Groups (RFC 7643 §4.2; RFC 7644 §3.3–§3.6) and membership PATCH as Okta and Entra send it."""

from __future__ import annotations

import pytest

from tests.idp_flows.bodies import GROUP, entra_group, eq, group, members, op, patch, unique
from tests.idp_flows.client import ScimClient
from tests.idp_flows.steps import create, create_group, create_user, group_ids_of, look_up, member_ids, read, send


@pytest.fixture
async def three(scim) -> list[str]:
    """The ids of three users."""
    return [(await create_user(scim))["id"] for _ in range(3)]


async def patch_group(scim: ScimClient, group_id: str, *operations: dict) -> list[str]:
    """PATCH a group (200 or 204; Entra recommends 204 for groups) and return its member ids."""
    await send(scim, "PATCH", f"/Groups/{group_id}", patch(*operations))
    return await member_ids(scim, group_id)


async def test_create_group(scim):
    """SCIM-NOTES §1.11, §1.12 / RFC 7644 §3.3: Okta's Group Push body ⇒ 201, Location, meta, no members."""
    created = await create(scim, "/Groups", group("Test SCIMv2"))
    assert created["displayName"] == "Test SCIMv2" and GROUP in created["schemas"]
    assert created["meta"]["resourceType"] == "Group" and not created.get("members")
    assert await read(scim, f"/Groups/{created['id']}") == created


async def test_create_entra_group_with_its_extra_schema(scim):
    """SCIM-NOTES §1.11 and §3: Entra's body (its ADSCIM schema URN, externalId, meta) is accepted."""
    body = entra_group(unique("Entra "))
    created = await create(scim, "/Groups", body)
    assert (created["displayName"], created["externalId"]) == (body["displayName"], body["externalId"])


async def test_create_group_with_members(scim, three):
    """SCIM-NOTES §1.11 / RFC 7643 §4.2: members given on create are kept."""
    created = await create_group(scim, *three[:2])
    assert sorted(await member_ids(scim, created["id"])) == sorted(three[:2])


async def test_group_display_name_is_unique(scim):
    """SCIM-NOTES §1.13, §3 (Entra: "Group displayName must be unique"): a second one is 409 uniqueness."""
    first = await create_group(scim)
    (await scim.post("/Groups", json=group(first["displayName"]))).expect_error(409, "uniqueness")


async def test_group_without_display_name_is_400(scim):
    """SCIM-NOTES §1.14 / RFC 7643 §4.2: displayName is REQUIRED."""
    (await scim.post("/Groups", json={"schemas": [GROUP], "members": []})).expect_error(400, "invalidValue")


async def test_unknown_group_is_404(scim):
    """SCIM-NOTES §1.4 / RFC 7644 §3.12: GET, PUT, PATCH and DELETE of an unknown group are 404 Errors."""
    for method, body in (("GET", None), ("PUT", group("x")), ("PATCH", patch(op("replace", "displayName", "y"))),
                         ("DELETE", None)):
        (await scim.request(method, "/Groups/no-such-group", json=body)).expect_error(404)


async def test_put_replaces_name_and_members(scim, three):
    """SCIM-NOTES §1.18 / RFC 7644 §3.5.1: PUT replaces displayName and the member list."""
    created = await create_group(scim, three[0])
    replaced = await send(scim, "PUT", f"/Groups/{created['id']}", group("Renamed", tuple(three[1:])))
    assert replaced["displayName"] == "Renamed" and replaced["id"] == created["id"]
    assert sorted(await member_ids(scim, created["id"])) == sorted(three[1:])


async def test_okta_membership_patch(scim, three):
    """SCIM-NOTES §1.40, §1.43 / Okta Group Push: the rename op Okta always sends, a filtered remove and
    an add with ``display``, in one request."""
    created = await create_group(scim, three[0], three[1])
    members_now = await patch_group(scim, created["id"],
                                    op("replace", value={"id": created["id"], "displayName": "Okta name"}),
                                    op("remove", f'members[value eq "{three[0]}"]'),
                                    op("add", "members", [{"value": three[2], "display": "someone"}]))
    assert sorted(members_now) == sorted(three[1:])
    assert (await read(scim, f"/Groups/{created['id']}"))["displayName"] == "Okta name"


async def test_okta_full_member_replace(scim, three):
    """SCIM-NOTES §1.40 / Okta: ``{"op":"replace","path":"members","value":[…]}`` sets the whole list."""
    created = await create_group(scim, three[0])
    assert sorted(await patch_group(scim, created["id"], op("replace", "members", members(*three[1:])))) == sorted(
        three[1:])


async def test_adding_an_existing_member_does_not_duplicate_it(scim, three):
    """SCIM-NOTES §1.40 / RFC 7644 §3.5.2.1: add to a multi-valued attribute dedupes identical values."""
    created = await create_group(scim, three[0])
    assert sorted(await patch_group(scim, created["id"], op("add", "members", members(*three[:2])))) == sorted(
        three[:2])


async def test_remove_members_without_filter_removes_all(scim, three):
    """SCIM-NOTES §1.43 / RFC 7644 §3.5.2.2: ``remove`` ``members`` with no filter and no value empties the
    group (Postman "Patch remove all users")."""
    created = await create_group(scim, *three)
    assert await patch_group(scim, created["id"], op("remove", "members")) == []


async def test_entra_remove_with_a_value_list_removes_only_those(scim, three):
    """SCIM-NOTES §1.44: Entra without the flag sends ``{"op":"Remove","path":"members","value":[…]}``;
    only the listed members go (a strict RFC reading empties the group: MicrosoftDocs/azure-docs#30826)."""
    created = await create_group(scim, *three)
    entra_remove = op("Remove", "members", members(*three[:2], **{"$ref": None}))
    assert await patch_group(scim, created["id"], entra_remove) == [three[2]]


async def test_many_members_in_one_patch_with_null_refs(scim):
    """SCIM-NOTES §1.47: Entra adds many members in one ``Add`` op, each with ``"$ref": null``."""
    user_ids = [(await create_user(scim))["id"] for _ in range(6)]
    created = await create(scim, "/Groups", entra_group(unique("Entra ")))
    added = await patch_group(scim, created["id"], op("Add", "members", members(*user_ids, **{"$ref": None})))
    assert sorted(added) == sorted(user_ids)


async def test_rename_by_path(scim):
    """SCIM-NOTES §1.39 / Entra: ``{"op":"Replace","path":"displayName",…}`` ⇒ 204 (or 200)."""
    created = await create_group(scim)
    await patch_group(scim, created["id"], op("Replace", "displayName", "New name"))
    assert (await read(scim, f"/Groups/{created['id']}"))["displayName"] == "New name"


async def test_changing_a_group_id_is_400_mutability(scim):
    """SCIM-NOTES §1.46 / RFC 7644 §3.5.2: Okta's rename repeats the group's own id (accepted above); a
    different id is a readOnly change ⇒ 400 mutability, nothing applied."""
    created = await create_group(scim)
    body = patch(op("replace", value={"id": "another-id", "displayName": "Other"}))
    (await scim.patch(f"/Groups/{created['id']}", json=body)).expect_error(400, "mutability")
    assert await read(scim, f"/Groups/{created['id']}") == created


async def test_excluded_members_on_get_and_filtered_list(scim, three):
    """SCIM-NOTES §1.32, §1.35: Entra reads groups with ``excludedAttributes=members``, by id and by
    ``filter=displayName eq "…"``."""
    created = await create_group(scim, *three)
    single = await read(scim, f"/Groups/{created['id']}", excludedAttributes="members")
    [listed] = (await look_up(scim, "/Groups", eq("displayName", created["displayName"]),
                              excludedAttributes="members"))["Resources"]
    for found in (single, listed):
        assert found["id"] == created["id"] and "members" not in found


async def test_users_groups_reflect_memberships(scim, three):
    """SCIM-NOTES §1.46 / RFC 7643 §4.1.2: a user's ``groups`` is readOnly and derived from /Groups."""
    first, second = await create_group(scim, three[0]), await create_group(scim, three[0], three[1])
    assert await group_ids_of(scim, three[0]) == {first["id"], second["id"]}
    await patch_group(scim, second["id"], op("remove", f'members[value eq "{three[0]}"]'))
    assert await group_ids_of(scim, three[0]) == {first["id"]}
    user = await read(scim, f"/Users/{three[0]}")
    [membership] = user["groups"]
    assert membership["display"] == first["displayName"]


async def test_delete_group(scim, three):
    """SCIM-NOTES §1.19 / RFC 7644 §3.6: 204, then 404, and the user's ``groups`` no longer lists it."""
    created = await create_group(scim, three[0])
    assert (await scim.delete(f"/Groups/{created['id']}")).expect(204) is None
    (await scim.get(f"/Groups/{created['id']}")).expect_error(404)
    assert await group_ids_of(scim, three[0]) == set()


async def test_a_group_patch_answers_204_with_the_new_etag_unless_it_asks_for_the_group(scim, three):
    """SCIM-NOTES §1.39 / RFC 7644 §3.5.2: 200 with the resource or 204; Entra advises 204 for groups
    ("returning a body with a list of all the members isn't advisable"). attributes / excludedAttributes
    (RFC 7644 §3.9) ask for the group: 200, members shown or left out as asked."""
    created = await create_group(scim, three[0])
    path, add = f"/Groups/{created['id']}", patch(op("add", "members", members(three[1])))
    answered = await scim.patch(path, json=add)
    assert (answered.status, answered.body) == (204, None)
    assert answered.headers["ETag"] == (await scim.get(path)).headers["ETag"] != created["meta"]["version"]
    shown = (await scim.patch(path, json=patch(op("add", "members", members(three[2]))),
                              params={"attributes": "members"})).expect(200)
    assert sorted(member["value"] for member in shown["members"]) == sorted(three)
    left_out = (await scim.patch(path, json=patch(op("replace", "displayName", "Renamed")),
                                 params={"excludedAttributes": "members"})).expect(200)
    assert left_out["displayName"] == "Renamed" and "members" not in left_out
    assert sorted(await member_ids(scim, created["id"])) == sorted(three)


async def test_a_group_put_still_answers_with_the_group(scim, three):
    """RFC 7644 §3.5.1: a PUT answers 200 with the resource, members included."""
    created = await create_group(scim, three[0])
    replaced = (await scim.put(f"/Groups/{created['id']}", json=group("Put", (three[1],)))).expect(200)
    assert [member["value"] for member in replaced["members"]] == [three[1]]
