"""Applying PATCH operations to stored resources (RFC 7644 §3.5.2), including what Okta and Entra send.

Request bodies quoted from SCIM-NOTES are used verbatim; each test names the RFC sentence or the IdP.
"""

import copy
import json

import pytest

from shared.scim.attributes import GROUP, USER
from shared.scim.errors import ScimError
from shared.scim.patch import apply_patch, parse_patch
from shared.scim.patch_parse import PATCH_OP
from shared.scim.schemas import (
    ENTERPRISE_SCHEMA,
    EXTENSION_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
)

WORK = {"type": "work", "value": "bjensen@example.com", "primary": True}
HOME = {"type": "home", "value": "babs@jensen.org"}


def user(**attributes) -> dict:
    return {"schemas": [USER_SCHEMA], "userName": "bjensen", "active": True, **attributes}


def group(*ids: str) -> dict:
    return {"schemas": [GROUP_SCHEMA], "displayName": "Sales",
            "members": [{"value": m, "type": "User"} for m in ids]}


def patch(resource: dict, *operations: dict, schema=USER) -> tuple[dict, bool]:
    body = {"schemas": [PATCH_OP], "Operations": list(operations)}
    return apply_patch(resource, parse_patch(body, schema), schema)


def patched(resource: dict, *operations: dict, schema=USER) -> dict:
    return patch(resource, *operations, schema=schema)[0]


def refused(resource: dict, *operations: dict, schema=USER) -> ScimError:
    with pytest.raises(ScimError) as caught:
        patch(resource, *operations, schema=schema)
    assert caught.value.status == 400
    return caught.value


def member_ids(resource: dict) -> list[str]:
    return [m["value"] for m in resource.get("members", [])]


def replay(resource: dict, request_body: str, schema=USER) -> tuple[dict, bool]:
    """Apply a PatchOp body exactly as the IdP sends it (JSON text)."""
    return apply_patch(resource, parse_patch(json.loads(request_body), schema), schema)


# Request bodies as Okta and Entra send them (SCIM-NOTES §2, §3) -----------------------------------

OKTA_DEACTIVATE = """{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"active": false}}]}"""
OKTA_GROUP_PUSH = """{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
    {"op": "replace", "value": {"id": "g1", "displayName": "Test SCIMv2"}},
    {"op": "remove", "path": "members[value eq \\"u1\\"]"},
    {"op": "add", "path": "members", "value": [{"value": "u3", "display": "u3@okta.local"}]}]}"""
ENTRA_UPDATE_USER = """{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
    {"op": "Replace", "path": "emails[type eq \\"work\\"].value", "value": "updatedEmail@microsoft.com"},
    {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}]}"""
ENTRA_REPLACE_ATTRIBUTES = """{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
    {"op": "replace", "path": "emails[type eq \\"work\\"].value", "value": "babs@microsoft.com"},
    {"op": "replace", "value": {"displayName": "Babs", "name.givenName": "Babs",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "701984"}}]}"""
ENTRA_DISABLE = """{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Replace", "path": "active", "value": %s}]}"""
ENTRA_ADD_MANAGER = """{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
    {"op": "Add", "path": "manager", "value": [{"$ref": "http://example.com/scim/Users/2819c223-7f76-453a-919d",
                                               "value": "2819c223-7f76-453a-919d"}]}]}"""
ENTRA_ADD_MEMBERS = """{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
    {"op": "Add", "path": "members", "value": [{"$ref": null, "value": "u2"}, {"$ref": null, "value": "u3"}]}]}"""
ENTRA_REMOVE_MEMBERS = """{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
    {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "u2"}]}]}"""
ENTRA_REMOVE_MEMBER_WITH_FLAG = """{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
    {"op": "remove", "path": "members[value eq \\"u2\\"]"}]}"""


def test_okta_deactivate_and_reactivate_without_path():
    """Okta: ``{"op":"replace","value":{"active":false}}`` (no path) deactivates; the same with true reactivates."""
    resource, changed = replay(user(), OKTA_DEACTIVATE)
    assert resource["active"] is False and changed
    assert replay(resource, OKTA_DEACTIVATE.replace("false", "true"))[0]["active"] is True


def test_okta_group_push_rename_and_membership_in_one_request():
    """Okta Group Push sends the rename, with the read-only "id" (ignored), on every membership update."""
    resource, changed = replay(group("u1", "u2"), OKTA_GROUP_PUSH, GROUP)
    assert changed and "id" not in resource and resource["displayName"] == "Test SCIMv2"
    assert member_ids(resource) == ["u2", "u3"]


def test_entra_update_user_creates_the_missing_work_email():
    """Entra: ``replace emails[type eq "work"].value`` with no work email must add one (RFC: 400 noTarget;
    sourcegraph PR #49200, SCIM-SDK addNodeOnMissingTarget)."""
    resource = replay(user(emails=[HOME], name={"givenName": "Barbara"}), ENTRA_UPDATE_USER)[0]
    assert resource["emails"] == [HOME, {"type": "work", "value": "updatedEmail@microsoft.com"}]
    assert resource["name"] == {"givenName": "Barbara", "familyName": "updatedFamilyName"}


def test_entra_flag_replace_with_dotted_and_urn_qualified_keys():
    """Entra (aadOptscim062020): a value-path replace plus one path-less replace with dotted and URN-qualified
    keys; "name.givenName" updates name, never a literal "name.givenName" attribute (pingidentity/scim2#224)."""
    resource = replay(user(emails=[WORK], name={"givenName": "Barbara", "familyName": "Jensen"}),
                      ENTRA_REPLACE_ATTRIBUTES)[0]
    assert resource["emails"] == [{**WORK, "value": "babs@microsoft.com"}]
    assert resource["displayName"] == "Babs" and "name.givenName" not in resource
    assert resource["name"] == {"givenName": "Babs", "familyName": "Jensen"}
    assert resource[ENTERPRISE_SCHEMA] == {"employeeNumber": "701984"}
    assert resource["schemas"] == [USER_SCHEMA, ENTERPRISE_SCHEMA]


@pytest.mark.parametrize(("sent", "stored"), [("false", False), ('"False"', False), ('"TRUE"', True)])
def test_entra_disable_user_with_a_boolean_or_a_string(sent, stored):
    """Entra: ``"value": false``; without aadOptscim062020 it sends ``"value": "False"`` (SCIM-NOTES §3)."""
    assert replay(user(), ENTRA_DISABLE % sent)[0]["active"] is stored


def test_entra_add_manager_unqualified_and_as_a_one_element_list():
    """Entra: ``{"op":"Add","path":"manager","value":[{"$ref":…,"value":…}]}``: no URN, a list for one value."""
    resource = replay(user(), ENTRA_ADD_MANAGER)[0]
    assert resource[ENTERPRISE_SCHEMA] == {"manager": {
        "$ref": "http://example.com/scim/Users/2819c223-7f76-453a-919d", "value": "2819c223-7f76-453a-919d"}}


@pytest.mark.parametrize("operation", [
    {"op": "Add", "path": f"{ENTERPRISE_SCHEMA}:manager", "value": "m1"},
    {"op": "Replace", "path": "manager", "value": "m1"},
    {"op": "replace", "value": {f"{ENTERPRISE_SCHEMA}:manager": "m1"}},
])
def test_entra_manager_as_its_bare_id(operation):
    """Entra's default mapping sends the manager's id alone as the value (Microsoft Q&A 188003)."""
    assert patched(user(), operation)[ENTERPRISE_SCHEMA] == {"manager": {"value": "m1"}}


def test_entra_single_app_role_assignment_creates_the_primary_role():
    """Entra's SingleAppRoleAssignment mapping writes to ``roles[primary eq "True"].value``, quoting the boolean."""
    resource = patched(user(), {"op": "Add", "path": 'roles[primary eq "True"].value', "value": "Admin"})
    assert resource["roles"] == [{"primary": True, "value": "Admin"}]
    again = patched(resource, {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": "User"})
    assert again["roles"] == [{"primary": True, "value": "User"}]


def test_entra_add_many_members_in_one_operation_with_null_ref():
    """Entra gallery: "Support updating multiple group memberships with a single PATCH", with "$ref": null."""
    resource = replay(group("u1"), ENTRA_ADD_MEMBERS, GROUP)[0]
    assert resource["members"] == [{"value": "u1", "type": "User"}, {"value": "u2"}, {"value": "u3"}]


def test_entra_remove_members_by_value_list():
    """Entra (no flag): ``"op":"Remove","path":"members","value":[{"$ref":null,"value":"<id>"}]`` removes only
    those members; a strict RFC reading removes them all (MicrosoftDocs/azure-docs#30826)."""
    assert member_ids(replay(group("u1", "u2", "u3"), ENTRA_REMOVE_MEMBERS, GROUP)[0]) == ["u1", "u3"]


def test_entra_remove_member_by_value_path():
    """Entra (aadOptscim062020) and Okta: ``{"op":"remove","path":"members[value eq \\"<id>\\"]"}``."""
    assert member_ids(replay(group("u1", "u2"), ENTRA_REMOVE_MEMBER_WITH_FLAG, GROUP)[0]) == ["u1"]


# Simple, complex and multi-valued attributes ------------------------------------------------------


def test_add_sets_a_simple_attribute():
    """RFC 7644 §3.5.2.1: "If the target location does not exist, the attribute and value are added"."""
    assert patched(user(), {"op": "add", "path": "title", "value": "Tour Guide"})["title"] == "Tour Guide"


def test_replace_sets_a_simple_attribute():
    """RFC 7644 §3.5.2.3, and Entra's ``{"op":"Replace","path":"userName","value":"…"}``."""
    resource = patched(user(), {"op": "Replace", "path": "userName", "value": "babs"})
    assert resource["userName"] == "babs"


def test_remove_unsets_a_simple_attribute():
    """RFC 7644 §3.5.2.2: "the attribute and its associated value is removed"."""
    assert "title" not in patched(user(title="x"), {"op": "remove", "path": "title"})


def test_add_merges_into_a_complex_attribute():
    """RFC 7644 §3.5.2.1: "If the target location specifies a complex attribute, a set of sub-attributes
    SHALL be specified in the "value" parameter"; the others stay."""
    resource = patched(user(name={"givenName": "Barbara", "familyName": "Jensen"}),
                       {"op": "add", "path": "name", "value": {"middleName": "Jane"}})
    assert resource["name"] == {"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"}


def test_replace_merges_into_a_complex_attribute():
    """RFC 7644 §3.5.2.3: "Sub-attributes that are not specified in the "value" parameter are left unchanged"."""
    resource = patched(user(name={"givenName": "Barbara", "familyName": "Jensen"}),
                       {"op": "replace", "path": "name", "value": {"familyName": "Smith"}})
    assert resource["name"] == {"givenName": "Barbara", "familyName": "Smith"}


def test_entra_replace_of_a_sub_attribute():
    """Entra: ``{"op":"Replace","path":"name.familyName","value":"…"}``; removing the last one unsets name."""
    resource = patched(user(name={"givenName": "Barbara"}), {"op": "Replace", "path": "name.familyName",
                                                              "value": "Jensen"})
    assert resource["name"] == {"givenName": "Barbara", "familyName": "Jensen"}
    assert "name" not in patched(user(name={"givenName": "B"}), {"op": "remove", "path": "name.givenName"})


def test_add_appends_to_a_multi_valued_attribute():
    """RFC 7644 §3.5.2.1: "If the target location specifies a multi-valued attribute, a new value is added"."""
    resource = patched(user(emails=[WORK]), {"op": "add", "path": "emails", "value": [HOME]})
    assert resource["emails"] == [WORK, HOME]


def test_add_of_a_value_already_there_changes_nothing():
    """RFC 7644 §3.5.2.1: "If the target location already contains the value specified, no changes SHOULD be
    made to the resource"."""
    resource = user(emails=[WORK, HOME])
    assert patch(resource, {"op": "add", "path": "emails", "value": [dict(HOME)]}) == (resource, False)


def test_replace_of_a_multi_valued_attribute_replaces_every_value():
    """RFC 7644 §3.5.2.3: "If the target location is a multi-valued attribute and no filter is specified,
    the attribute and all values are replaced"."""
    resource = patched(user(emails=[WORK, HOME]), {"op": "replace", "path": "emails",
                                                    "value": [{"value": "new@x", "type": "other"}]})
    assert resource["emails"] == [{"value": "new@x", "type": "other"}]


def test_remove_of_a_multi_valued_attribute_removes_every_value():
    """RFC 7644 §3.5.2.2: "If the target location is a multi-valued attribute and no filter is specified,
    the attribute and all values are removed" (Microsoft Postman "Patch remove all users")."""
    resource = patched(group("u1", "u2"), {"op": "remove", "path": "members"}, schema=GROUP)
    assert "members" not in resource


def test_simple_multi_valued_extension_attribute():
    """Our products list: values compare case-insensitively (caseExact false), so "sales" is already there."""
    resource = user(**{EXTENSION_SCHEMA: {"products": ["Sales"]}}, schemas=[USER_SCHEMA, EXTENSION_SCHEMA])
    path = f"{EXTENSION_SCHEMA}:products"
    assert patch(resource, {"op": "add", "path": path, "value": ["sales"]})[1] is False
    assert patched(resource, {"op": "add", "path": path, "value": "Talent"})[EXTENSION_SCHEMA] == {
        "products": ["Sales", "Talent"]}


# Path-less operations -----------------------------------------------------------------------------


def test_path_less_add_with_a_nested_extension_object():
    """RFC 7643 §3.3: extension attributes nested under their schema URN."""
    resource = patched(user(), {"op": "add", "value": {ENTERPRISE_SCHEMA: {"department": "Sales"}}})
    assert resource[ENTERPRISE_SCHEMA] == {"department": "Sales"}


def test_bare_extension_urn_path_with_an_object_value():
    resource = patched(user(), {"op": "add", "path": ENTERPRISE_SCHEMA, "value": {"costCenter": "4130"}})
    assert resource[ENTERPRISE_SCHEMA] == {"costCenter": "4130"}
    assert ENTERPRISE_SCHEMA not in patched(resource, {"op": "remove", "path": ENTERPRISE_SCHEMA})


def test_path_less_add_merges_multi_valued_and_complex_attributes():
    """RFC 7644 §3.5.2.1 (Figure: add without path): "emails" values are added, "nickName" set."""
    resource = patched(user(emails=[WORK]), {"op": "add", "value": {"emails": [HOME], "nickName": "Babs"}})
    assert resource["emails"] == [WORK, HOME]
    assert resource["nickName"] == "Babs"


# Value paths --------------------------------------------------------------------------------------


def test_value_path_add_of_a_whole_element_creates_it_from_the_filter():
    """Entra "will still issue filtered PATCH on arrays that are not present" (ssoready PR #249)."""
    resource = patched(user(), {"op": "add", "path": 'phoneNumbers[type eq "mobile"]', "value": {"value": "+1 555"}})
    assert resource["phoneNumbers"] == [{"type": "mobile", "value": "+1 555"}]


def test_value_path_replace_changes_only_the_matching_elements():
    """RFC 7644 §3.5.2.3: "all matching record values SHALL be replaced"; the others are untouched."""
    resource = patched(user(emails=[WORK, HOME]), {"op": "replace", "path": 'emails[type eq "work"].value',
                                                   "value": "new@example.com"})
    assert resource["emails"] == [{**WORK, "value": "new@example.com"}, HOME]


def test_value_path_replace_of_whole_elements_merges_them():
    resource = patched(user(addresses=[{"type": "work", "locality": "Hollywood"}]), {
        "op": "replace", "path": 'addresses[type eq "work"]', "value": {"postalCode": "91608"}})
    assert resource["addresses"] == [{"type": "work", "locality": "Hollywood", "postalCode": "91608"}]


def test_value_path_remove_removes_the_matching_elements():
    """RFC 7644 §3.5.2.2: "If the target location is a multi-valued attribute and a complex filter is
    specified based on the attribute's sub-attributes, the matching records are removed"."""
    resource = patched(user(emails=[WORK, HOME]), {"op": "remove", "path": 'emails[type eq "work"]'})
    assert resource["emails"] == [HOME]


def test_value_path_remove_of_a_sub_attribute():
    resource = patched(user(emails=[WORK, HOME]), {"op": "remove", "path": 'emails[type eq "work"].primary'})
    assert resource["emails"] == [{"type": "work", "value": "bjensen@example.com"}, HOME]


def test_remove_matching_nothing_is_no_change():
    """RFC 7644 §3.5.2 would answer 400 noTarget; we do not: Okta and Entra repeat membership removals
    (Entra re-sends state every cycle) and a redelivered command must succeed again (SCIM-NOTES §5)."""
    resource = group("u1")
    operation = {"op": "remove", "path": 'members[value eq "gone"]'}
    assert patch(resource, operation, schema=GROUP) == (resource, False)
    assert patch(user(), {"op": "remove", "path": "title"}) == (user(), False)


def test_value_path_write_that_cannot_describe_a_new_element_is_no_target():
    """RFC 7644 §3.12 noTarget: the filter matched nothing and is not a set of ``eq`` terms to build from."""
    operation = {"op": "replace", "path": 'emails[value co "@nowhere"].type', "value": "work"}
    assert refused(user(emails=[HOME]), operation).scim_type == "noTarget"


def test_entra_remove_manager_with_a_filter():
    """Entra: ``{"op":"remove","path":"manager[value eq \\"id\\"]"}`` on a single-valued complex attribute
    (thomaspoignant/scim-patch#453)."""
    resource = user(**{ENTERPRISE_SCHEMA: {"manager": {"value": "m1"}, "department": "Sales"}},
                    schemas=[USER_SCHEMA, ENTERPRISE_SCHEMA])
    for path in ('manager[value eq "m1"]', f'{ENTERPRISE_SCHEMA}:manager[value eq "m1"]'):
        assert patched(resource, {"op": "remove", "path": path})[ENTERPRISE_SCHEMA] == {"department": "Sales"}
    assert patched(resource, {"op": "remove", "path": 'manager[value eq "m2"]'}) == resource


# Group members ------------------------------------------------------------------------------------


def test_adding_an_existing_member_changes_nothing():
    """RFC 7644 §3.5.2.1 "no changes SHOULD be made"; members are matched by value (their type may be absent)."""
    resource = group("u1")
    operation = {"op": "add", "path": "members", "value": [{"value": "u1"}]}
    assert patch(resource, operation, schema=GROUP) == (resource, False)


def test_a_big_membership_change_compares_each_member_with_its_match_only(monkeypatch):
    """Adding 1 000 members to 1 000 (half of them already there), then removing them, costs about one
    comparison per member sent, not one per pair (the 100-member group PATCH of issue 8)."""
    import shared.scim.patch as patch_module

    compared = 0
    same = patch_module._same

    def counting(*args):
        nonlocal compared
        compared += 1
        return same(*args)

    monkeypatch.setattr(patch_module, "_same", counting)
    stored = group(*(f"u{i}" for i in range(1000)))
    sent = [{"value": f"u{i}", "$ref": None} for i in range(500, 1500)]
    added = patched(stored, {"op": "add", "path": "members", "value": sent}, schema=GROUP)
    assert member_ids(added) == [f"u{i}" for i in range(1500)]
    removed = patched(added, {"op": "remove", "path": "members", "value": sent}, schema=GROUP)
    assert member_ids(removed) == [f"u{i}" for i in range(500)]
    assert compared <= 2 * len(sent)


def test_okta_removing_members_one_filter_each_checks_each_filter_once(monkeypatch):
    """Okta's Group Push removes with one ``members[value eq "id"]`` operation per member: each filter is
    checked and normalized once, not once per member it is tried on."""
    from shared.scim import filter_match

    normalized = 0
    normalize = filter_match.normalize

    def counting(*args, **kwargs):
        nonlocal normalized
        normalized += 1
        return normalize(*args, **kwargs)

    monkeypatch.setattr(filter_match, "normalize", counting)
    stored = group(*(f"u{i}" for i in range(100)))
    operations = [{"op": "remove", "path": f'members[value eq "U{i}"]'} for i in range(0, 100, 2)]
    after = patched(stored, *operations, schema=GROUP)
    assert member_ids(after) == [f"u{i}" for i in range(1, 100, 2)]  # matched case-insensitively
    assert normalized <= 2 * len(operations)


def test_members_sent_in_another_case_or_without_value_are_still_found():
    """The index only narrows the search: a type-less value matches a typed member, and an element named
    by other sub-attributes than value is still looked for among all."""
    stored = {"schemas": [USER_SCHEMA], "userName": "b", "emails": [
        {"value": "Babs@Example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}]}
    again = patched(stored, {"op": "add", "path": "emails", "value": [{"value": "babs@example.COM"}]})
    assert [e["value"] for e in again["emails"]] == ["Babs@Example.com", "b@home.org"]  # caseExact=false
    gone = patched(stored, {"op": "remove", "path": "emails", "value": [{"type": "home"}]})
    assert [e["value"] for e in gone["emails"]] == ["Babs@Example.com"]


def test_okta_replace_of_all_members():
    resource = patched(group("u1", "u2"), {"op": "replace", "path": "members", "value": [{"value": "u3"}]},
                       schema=GROUP)
    assert member_ids(resource) == ["u3"]


def test_a_member_value_is_immutable():
    """RFC 7643 §4.2: "sub-attributes of members are "immutable"": members are added or removed, not edited."""
    operation = {"op": "replace", "path": 'members[value eq "u1"].value', "value": "u9"}
    assert refused(group("u1"), operation, schema=GROUP).scim_type == "mutability"


# Booleans, nulls, mutability ----------------------------------------------------------------------


@pytest.mark.parametrize(("path", "value"), [("active", "no"), ("active", 0), ("name", "Babs Jensen"),
                                             ("emails", ["a@x"]), (f"{EXTENSION_SCHEMA}:creditLimit", "many")])
def test_a_value_of_the_wrong_type_is_invalid_value(path, value):
    """RFC 7644 §3.12 invalidValue: "the value specified was not compatible with the ... attribute type"."""
    assert refused(user(), {"op": "replace", "path": path, "value": value}).scim_type == "invalidValue"


def test_an_unknown_attribute_is_invalid_path():
    assert refused(user(), {"op": "add", "path": "favouriteColour", "value": "red"}).scim_type == "invalidPath"


def test_null_and_empty_list_unset_attributes():
    """RFC 7643 §2.5: "Unassigned attributes, the null value, or empty array (in the case of a multi-valued
    attribute) SHALL be considered to be equivalent in "state"."""
    resource = user(title="x", emails=[WORK], nickName="B")
    resource = patched(resource, {"op": "replace", "path": "title", "value": None},
                       {"op": "replace", "path": "emails", "value": []},
                       {"op": "replace", "value": {"nickName": None}})
    assert not {"title", "emails", "nickName"} & resource.keys()


@pytest.mark.parametrize("path", ["id", "meta.created", "groups", 'groups[value eq "g1"]',
                                  f"{ENTERPRISE_SCHEMA}:manager.displayName", f"{EXTENSION_SCHEMA}:scimActive"])
def test_a_path_to_a_read_only_attribute_is_a_mutability_error(path):
    """RFC 7644 §3.5.2: "a client MUST NOT modify an attribute that has mutability "readOnly""."""
    assert refused(user(), {"op": "replace", "path": path, "value": "x"}).scim_type == "mutability"


def test_read_only_attributes_in_a_path_less_value_are_ignored():
    """Okta's group rename carries "id": ignored as in PUT (RFC 7644 §3.5.1 "readOnly ... SHALL be ignored")."""
    assert patch(user(), {"op": "replace", "value": {"id": "x", "meta": {}, "groups": []}}) == (user(), False)


def test_a_required_attribute_cannot_be_removed():
    """RFC 7644 §3.5.2.2: "If an attribute is removed or becomes unassigned and is defined as a required
    attribute ..., the server SHALL return ... "mutability"."""
    assert refused(user(), {"op": "remove", "path": "userName"}).scim_type == "mutability"
    operation = {"op": "replace", "path": "displayName", "value": None}
    assert refused(group(), operation, schema=GROUP).scim_type == "mutability"


def test_password_is_accepted_and_not_stored():
    """Okta password sync: password is writeOnly and returned never (RFC 7643 §4.1.1); we keep no copy."""
    assert patch(user(), {"op": "replace", "value": {"password": "t1meMa$heen"}}) == (user(), False)


# Primary, schemas, changed, atomicity -------------------------------------------------------------


def test_setting_primary_clears_it_on_the_other_values():
    """RFC 7643 §2.4: "The primary attribute value "true" MUST appear no more than once"."""
    resource = patched(user(emails=[WORK, HOME]), {"op": "replace", "path": 'emails[type eq "home"].primary',
                                                   "value": True})
    assert [e.get("primary") for e in resource["emails"]] == [False, True]


def test_adding_a_primary_value_demotes_the_previous_primary():
    """RFC 7643 §2.4 and wso2/product-is#10033: two primaries must never be stored."""
    resource = patched(user(emails=[WORK]), {"op": "add", "path": "emails",
                                             "value": [{"value": "b@x", "type": "home", "primary": True}]})
    assert [e["primary"] for e in resource["emails"]] == [False, True]


def test_two_primaries_in_one_value_are_invalid():
    value = [{"value": "a@x", "primary": True}, {"value": "b@x", "primary": True}]
    assert refused(user(), {"op": "replace", "path": "emails", "value": value}).scim_type == "invalidValue"


def test_first_extension_attribute_lists_the_extension_and_the_last_one_unlists_it():
    """RFC 7643 §3: "schemas" lists the extensions the resource uses."""
    path = f"{ENTERPRISE_SCHEMA}:department"
    resource = patched(user(), {"op": "add", "path": path, "value": "Sales"})
    assert resource["schemas"] == [USER_SCHEMA, ENTERPRISE_SCHEMA]
    resource = patched(resource, {"op": "remove", "path": path})
    assert resource["schemas"] == [USER_SCHEMA] and ENTERPRISE_SCHEMA not in resource


def test_entra_resending_the_same_state_is_no_change():
    """Entra re-sends the same state about every 40 minutes: no change, so the store skips a version bump."""
    resource = user(name={"givenName": "Babs"}, emails=[WORK], **{ENTERPRISE_SCHEMA: {"department": "Sales"}},
                    schemas=[USER_SCHEMA, ENTERPRISE_SCHEMA])
    assert patch(resource,
                 {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "bjensen@example.com"},
                 {"op": "Replace", "path": "name.givenName", "value": "Babs"},
                 {"op": "replace", "value": {"active": "True", f"{ENTERPRISE_SCHEMA}:department": "Sales"}},
                 ) == (resource, False)


def test_an_empty_members_list_is_the_same_state_as_none():
    """RFC 7643 §2.5: Okta creates groups with "members": [] — removing nobody from it is no change."""
    resource = {**group(), "members": []}
    assert patch(resource, {"op": "remove", "path": 'members[value eq "u1"]'}, schema=GROUP)[1] is False


def test_a_failing_operation_applies_nothing_and_leaves_the_input_untouched():
    """RFC 7644 §3.5.2: "If a single operation encounters an error condition, the original SCIM resource MUST
    be restored"."""
    resource = user(emails=[WORK])
    original = copy.deepcopy(resource)
    refused(resource, {"op": "add", "path": "title", "value": "x"},
            {"op": "remove", "path": "emails"}, {"op": "remove", "path": "userName"})
    assert resource == original


@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": f"{ENTERPRISE_SCHEMA}:department", "value": "Ops"},
    {"op": "remove", "path": f"{ENTERPRISE_SCHEMA}:costCenter"},
    {"op": "replace", "value": {f"{ENTERPRISE_SCHEMA}:manager": {"value": "m2"}}},
    {"op": "replace", "path": f"{ENTERPRISE_SCHEMA}:manager.value", "value": "m3"},
    {"op": "replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"},
    {"op": "add", "path": "emails", "value": [{"value": "home@example.com", "type": "home", "primary": True}]},
    {"op": "remove", "path": 'emails[type eq "work"]'},
    {"op": "replace", "path": "name.givenName", "value": "Babs"},
    {"op": "remove", "path": "name.familyName"},
    {"op": "replace", "value": {"active": False, "name": {"familyName": "J"}}},
], ids=lambda operation: f"{operation['op']} {operation.get('path', '(no path)')}")
def test_a_successful_patch_leaves_its_input_untouched(operation):
    """The patched copy shares what did not change with the input: the input itself, down to its
    nested values and the extensions' containers, must stay as it was (the store compares them)."""
    resource = user(emails=[WORK, {"value": "b@example.org", "type": "other"}],
                    name={"givenName": "Barbara", "familyName": "Jensen"},
                    **{ENTERPRISE_SCHEMA: {"department": "Sales", "costCenter": "4130", "manager": {"value": "m1"}}})
    original = copy.deepcopy(resource)
    after, changed = patch(resource, operation)
    assert changed and after != original
    assert resource == original


def test_a_path_less_value_repeating_the_stored_id_is_accepted_but_another_id_is_mutability():
    """RFC 7643 §2.2 readOnly; Okta's group rename repeats the group's own id with the new displayName."""
    group = {"id": "g1", "displayName": "Old", "schemas": [GROUP.core]}
    same = parse_patch({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"id": "g1", "displayName": "New"}}]}, GROUP)
    assert apply_patch(group, same, GROUP)[0]["displayName"] == "New"
    other = parse_patch({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"id": "g2", "displayName": "New"}}]}, GROUP)
    with pytest.raises(ScimError) as raised:
        apply_patch(group, other, GROUP)
    assert (raised.value.status, raised.value.scim_type) == (400, "mutability")
