"""PATCH on Users (RFC 7644 §3.5.2), including the shapes Okta and Entra send."""

from __future__ import annotations

import pytest

from tests.idp_flows.bodies import ENTERPRISE, PATCH_OP, SCIMFLOW, USER, op, patch
from tests.idp_flows.client import ScimClient
from tests.idp_flows.steps import create_user, read, send

HOME = {"value": "jane.home@example.org", "type": "home"}


async def patched(scim: ScimClient, user: dict, *operations: dict) -> dict:
    """Apply a PATCH (200 with the resource, or 204) and return the user as now stored."""
    body = await send(scim, "PATCH", f"/Users/{user['id']}", patch(*operations))
    stored = await read(scim, f"/Users/{user['id']}")
    assert body is None or body == stored, "a 200 PATCH answer is the resource as stored"
    return stored


async def rejected(scim: ScimClient, user: dict, scim_type: str | None, *operations: dict) -> dict:
    """The PATCH fails with 400 ``scim_type`` and the user is exactly as before (RFC 7644 §3.5.2)."""
    error = (await scim.patch(f"/Users/{user['id']}", json=patch(*operations))).expect_error(400, scim_type)
    assert await read(scim, f"/Users/{user['id']}") == user
    return error


@pytest.mark.parametrize("name", ["replace", "Replace", "REPLACE"])
async def test_op_is_matched_case_insensitively(scim, name):
    """SCIM-NOTES §1.37: Entra sends ``Add``/``Replace``/``Remove`` — "Don't require a case-sensitive
    match on structural elements"."""
    user = await create_user(scim)
    assert (await patched(scim, user, op(name, "title", "Chief")))["title"] == "Chief"


async def test_capitalised_add_and_remove(scim):
    """SCIM-NOTES §1.37: ``Add`` and ``Remove`` as Entra spells them without the flag."""
    user = await create_user(scim)
    assert (await patched(scim, user, op("Add", "nickName", "Janie")))["nickName"] == "Janie"
    assert "nickName" not in await patched(scim, user, op("Remove", "nickName"))


@pytest.mark.parametrize("body", [
    {"schemas": ["urn:example:not-patch"], "Operations": [op("replace", "title", "X")]},
    {"schemas": [PATCH_OP]},
    {"schemas": [PATCH_OP], "Operations": [{"op": "merge", "path": "title", "value": "X"}]},
    {"schemas": [PATCH_OP], "Operations": [{"path": "title", "value": "X"}]},
], ids=["wrong schema", "no Operations", "unknown op", "no op"])
async def test_malformed_patch_requests_are_400(scim, body):
    """SCIM-NOTES §1.37 / RFC 7644 §3.5.2: the body is a PatchOp with ``Operations`` of known ops."""
    user = await create_user(scim)
    (await scim.patch(f"/Users/{user['id']}", json=body)).expect_error(400)
    assert await read(scim, f"/Users/{user['id']}") == user


async def test_operations_are_atomic(scim):
    """SCIM-NOTES §1.38 / RFC 7644 §3.5.2: "If one fails, none are applied": a good replace followed by
    a remove without path leaves the user (and meta.version) untouched."""
    user = await create_user(scim)
    await rejected(scim, user, "noTarget", op("replace", "displayName", "Changed"), op("remove"))
    await rejected(scim, user, "mutability", op("replace", "title", "Chief"), op("replace", "id", "x"))


async def test_success_is_200_with_the_resource_or_204(scim):
    """SCIM-NOTES §1.39 / RFC 7644 §3.5.2: 200 and the full resource (Okta/Entra also accept 204)."""
    user = await create_user(scim)
    response = await scim.patch(f"/Users/{user['id']}", json=patch(op("replace", "title", "Chief")))
    body = response.expect(200, 204)
    if response.status == 200:
        assert body["title"] == "Chief" and body["id"] == user["id"]
    else:
        assert body is None


async def test_add_to_a_multi_valued_attribute_appends_once(scim):
    """SCIM-NOTES §1.40 / RFC 7644 §3.5.2.1: add appends to a multi-valued attribute; adding an identical
    value again does not duplicate it."""
    user = await create_user(scim)
    expected = [*user["emails"], HOME]
    assert (await patched(scim, user, op("add", "emails", [HOME])))["emails"] == expected
    assert (await patched(scim, user, op("add", "emails", [HOME])))["emails"] == expected


async def test_add_to_a_single_valued_attribute_replaces(scim):
    """SCIM-NOTES §1.40 / RFC 7644 §3.5.2.1: add on a single-valued attribute replaces its value."""
    user = await create_user(scim, title="Engineer")
    assert (await patched(scim, user, op("add", "title", "Chief")))["title"] == "Chief"


async def test_add_without_path_merges_an_object_with_extension_keys(scim):
    """SCIM-NOTES §1.40, §1.54 / RFC 7644 §3.5.2.1: without path, value is an object of attributes; a
    complex (extension) value merges its sub-attributes into what is there."""
    user = await create_user(scim)
    stored = await patched(scim, user, op("add", value={"nickName": "Janie", SCIMFLOW: {"role": "Admin"},
                                                        ENTERPRISE: {"department": "Sales"}}))
    assert stored["nickName"] == "Janie" and stored[ENTERPRISE] == {"department": "Sales"}
    assert stored[SCIMFLOW] == user[SCIMFLOW] | {"role": "Admin"}
    assert ENTERPRISE in stored["schemas"]


async def test_add_to_an_extension_multi_valued_attribute(scim):
    """SCIM-NOTES §1.40, §1.54 / RFC 7644 §3.10: a URN-qualified path reaches our extension's ``products``."""
    user = await create_user(scim)
    stored = await patched(scim, user, op("add", f"{SCIMFLOW}:products", ["Talent"]))
    assert stored[SCIMFLOW]["products"] == [*user[SCIMFLOW]["products"], "Talent"]


async def test_okta_path_less_replace_of_active(scim):
    """SCIM-NOTES §1.41 / Okta deactivation: ``{"op":"replace","value":{"active":false}}``."""
    user = await create_user(scim)
    assert (await patched(scim, user, op("replace", value={"active": False})))["active"] is False


async def test_path_less_replace_with_dotted_and_urn_keys(scim):
    """SCIM-NOTES §1.41 / Entra with aadOptscim062020: dotted keys update sub-attributes (never a literal
    "name.givenName" attribute) and leave siblings alone; URN-qualified keys reach the extension."""
    user = await create_user(scim)
    changes = {"displayName": "Jo D", "name.givenName": "Jo", f"{ENTERPRISE}:employeeNumber": "42",
               f"{SCIMFLOW}:creditLimit": 250}
    stored = await patched(scim, user, op("replace", value=changes))
    assert stored["name"] == {"givenName": "Jo", "familyName": "Doe"} and "name.givenName" not in stored
    assert stored[ENTERPRISE] == {"employeeNumber": "42"} and ENTERPRISE in stored["schemas"]
    assert stored[SCIMFLOW] == user[SCIMFLOW] | {"creditLimit": 250} and stored["displayName"] == "Jo D"


async def test_replace_work_email_by_value_path(scim):
    """SCIM-NOTES §1.42 / RFC 7644 §3.5.2.3: ``emails[type eq "work"].value`` changes only that element."""
    user = await create_user(scim, emails=[{"value": "w@example.com", "type": "work", "primary": True}, HOME])
    stored = await patched(scim, user, op("Replace", 'emails[type eq "work"].value', "new@example.com"))
    assert stored["emails"] == [{"value": "new@example.com", "type": "work", "primary": True}, HOME]


async def test_replace_by_value_path_without_a_match_adds_the_element(scim):
    """SCIM-NOTES §1.42: Entra (and its validator, "Patch User - Add Attributes") expects
    ``emails[type eq "work"].value`` to create the work email when there is none (sourcegraph PR #49200,
    SCIM-SDK ``addNodeOnMissingTarget``) rather than RFC 7644's 400 noTarget."""
    user = await create_user(scim, emails=[HOME])
    stored = await patched(scim, user, op("Replace", 'emails[type eq "work"].value', "new@example.com"))
    assert HOME in stored["emails"]
    assert [e["value"] for e in stored["emails"] if e.get("type") == "work"] == ["new@example.com"]


async def test_remove_without_path_is_400_no_target(scim):
    """SCIM-NOTES §1.43 / RFC 7644 §3.5.2.2: "If "path" is unspecified, the operation fails" — noTarget."""
    user = await create_user(scim)
    await rejected(scim, user, "noTarget", op("remove"))


async def test_remove_with_a_filter_removes_only_the_matches(scim):
    """SCIM-NOTES §1.43 / RFC 7644 §3.5.2.2: ``emails[type eq "home"]`` removes just the home email."""
    work = {"value": "w@example.com", "type": "work", "primary": True}
    user = await create_user(scim, emails=[work, HOME])
    assert (await patched(scim, user, op("remove", 'emails[type eq "home"]')))["emails"] == [work]


async def test_remove_a_whole_attribute(scim):
    """SCIM-NOTES §1.43 / RFC 7644 §3.5.2.2: ``remove`` with a path unassigns the attribute."""
    user = await create_user(scim, title="Engineer")
    assert "title" not in await patched(scim, user, op("remove", "title"))


@pytest.mark.parametrize("path", ['manager[value eq "{id}"]', f'{ENTERPRISE}:manager[value eq "{{id}}"]'])
async def test_remove_manager_with_a_value_filter(scim, path):
    """SCIM-NOTES §1.45: Entra removes the manager with ``remove manager[value eq "id"]`` on a
    single-valued complex attribute (thomaspoignant/scim-patch#453)."""
    boss = await create_user(scim)
    user = await create_user(scim, **{ENTERPRISE: {"department": "Sales", "manager": {"value": boss["id"]}}},
                             schemas=[USER, SCIMFLOW, ENTERPRISE])
    stored = await patched(scim, user, op("remove", path.format(id=boss["id"])))
    assert stored[ENTERPRISE] == {"department": "Sales"}


async def test_entra_manager_add_with_ref(scim):
    """SCIM-NOTES §1.45 and §3: ``{"op":"Add","path":"manager","value":[{"$ref":…,"value":id}]}``."""
    boss, user = await create_user(scim), await create_user(scim)
    reference = {"$ref": boss["meta"]["location"], "value": boss["id"]}
    stored = await patched(scim, user, op("Add", "manager", [reference]))
    assert stored[ENTERPRISE]["manager"]["value"] == boss["id"]


@pytest.mark.parametrize("operation", [
    op("replace", "id", "another"),
    op("replace", "meta.created", "2001-01-01T00:00:00Z"),
    op("add", "groups", [{"value": "some-group"}]),
    op("remove", "userName"),
], ids=["id", "meta.created", "groups", "remove required userName"])
async def test_read_only_and_required_attributes_are_400_mutability(scim, operation):
    """SCIM-NOTES §1.46 / RFC 7644 §3.5.2: changing a readOnly attribute, or removing a required one,
    is 400 mutability."""
    await rejected(scim, await create_user(scim), "mutability", operation)


@pytest.mark.parametrize("path", ["nosuchattribute", "name.nosuch", "urn:example:unknown:2.0:User:role"])
async def test_unknown_paths_are_400_invalid_path(scim, path):
    """SCIM-NOTES §1.46 / RFC 7644 §3.12: a path naming no attribute is 400 invalidPath."""
    await rejected(scim, await create_user(scim), "invalidPath", op("replace", path, "x"))


@pytest.mark.parametrize("path, value", [
    ("active", "maybe"), (f"{SCIMFLOW}:creditLimit", "lots"), ("userName", 42), ("userName", ""),
    ("emails", "not-a-list-of-objects"),
])
async def test_values_of_the_wrong_type_are_400_invalid_value(scim, path, value):
    """SCIM-NOTES §1.46, §1.55 / RFC 7644 §3.12: a value that does not fit the attribute ⇒ invalidValue."""
    await rejected(scim, await create_user(scim), "invalidValue", op("replace", path, value))


async def test_patching_user_name_to_a_taken_one_is_409(scim):
    """SCIM-NOTES §1.13 / RFC 7644 §3.5.2: PATCH must keep userName unique (case-insensitively)."""
    taken, user = await create_user(scim), await create_user(scim)
    body = patch(op("replace", "userName", taken["userName"].upper()))
    (await scim.patch(f"/Users/{user['id']}", json=body)).expect_error(409, "uniqueness")


@pytest.mark.parametrize("sent, stored", [("False", False), ("True", True), ("false", False)])
async def test_string_booleans_in_patch(scim, sent, stored):
    """SCIM-NOTES §1.16: Entra without the flag sends ``{"op":"Replace","path":"active","value":"False"}``."""
    user = await create_user(scim, active=not stored)
    assert (await patched(scim, user, op("Replace", "active", sent)))["active"] is stored


async def test_a_new_primary_email_demotes_the_old_one(scim):
    """SCIM-NOTES §1.53 / RFC 7644 §3.5.2: setting ``primary`` true on one value "SHALL cause the server to
    automatically set 'primary' to 'false' for any other values in the array"."""
    user = await create_user(scim)
    stored = await patched(scim, user, op("add", "emails", [HOME | {"primary": True}]))
    assert [e["value"] for e in stored["emails"] if e.get("primary")] == [HOME["value"]]
