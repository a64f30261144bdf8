"""attributes / excludedAttributes and the ``returned`` characteristic (RFC 7644 §3.4.2.5, §3.9)."""

import pytest

from shared.scim.attributes import GROUP, USER
from shared.scim.errors import ScimError
from shared.scim.projection import parse_selection, project, split_names
from shared.scim.schemas import ENTERPRISE_SCHEMA

USER_RESOURCE = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1", "userName": "ann",
    "name": {"givenName": "Ann", "familyName": "Lee"}, "emails": [{"value": "a@x", "type": "work"}],
    ENTERPRISE_SCHEMA: {"department": "Sales"}, "meta": {"resourceType": "User"},
}


def shown(attributes=(), excluded=(), resource=USER_RESOURCE, schema=USER) -> dict:
    return project(resource, schema, parse_selection(schema, attributes, excluded))


def test_default_returns_everything_returned_by_default():
    assert shown() == USER_RESOURCE


def test_attributes_returns_only_those_plus_always_returned():
    """RFC 7644 §3.9: id is returned "always"; schemas is part of every representation."""
    assert shown(["userName"]) == {"schemas": USER_RESOURCE["schemas"], "id": "1", "userName": "ann"}


def test_attributes_may_name_sub_attributes_and_extension_attributes():
    result = shown(["name.givenName", "EMAILS.value", f"{ENTERPRISE_SCHEMA}:department"])
    assert result["name"] == {"givenName": "Ann"} and result["emails"] == [{"value": "a@x"}]
    assert result[ENTERPRISE_SCHEMA] == {"department": "Sales"} and "userName" not in result


def test_attributes_naming_a_schema_returns_its_attributes():
    assert shown([ENTERPRISE_SCHEMA]).keys() == {"schemas", "id", ENTERPRISE_SCHEMA}


def test_excluded_attributes_naming_a_schema_removes_its_attributes():
    """The mirror of the above (RFC 7644 §3.10: a schema URN stands for all of its attributes)."""
    assert shown(excluded=[ENTERPRISE_SCHEMA]) == {k: v for k, v in USER_RESOURCE.items() if k != ENTERPRISE_SCHEMA}
    assert shown(excluded=[USER.core]).keys() == {"schemas", "id", ENTERPRISE_SCHEMA}
    assert parse_selection(USER, (), [ENTERPRISE_SCHEMA]).omits(ENTERPRISE_SCHEMA, "department")


def test_excluded_attributes_cannot_remove_always_returned_ones():
    result = shown(excluded=["id", "emails", "name.familyName", "meta"])
    assert result["id"] == "1" and "emails" not in result and "meta" not in result
    assert result["name"] == {"givenName": "Ann"}


def test_entra_excludes_group_members():
    """Entra: GET /Groups/{id}?excludedAttributes=members."""
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g", "displayName": "G",
             "members": [{"value": "1"}]}
    assert "members" not in shown(excluded=["members"], resource=group, schema=GROUP)


def test_never_returned_attributes_never_leave():
    assert "password" not in shown(resource={**USER_RESOURCE, "password": "x"})
    assert "password" not in shown(["password"], resource={**USER_RESOURCE, "password": "x"})


def test_unknown_names_are_ignored():
    assert shown(["nope", "userName"])["userName"] == "ann"


@pytest.mark.parametrize(("value", "names"), [
    ("userName, name.givenName,", ["userName", "name.givenName"]), (["a", " "], ["a"]), (None, []),
])
def test_split_names(value, names):
    assert split_names(value) == names


@pytest.mark.parametrize(("attributes", "excluded", "omitted"), [
    ((), (), False), ((), ("members",), True), (("displayName",), (), True), (("members.value",), (), False),
    ((), ("members.display",), False),
])
def test_omits_tells_whether_members_need_loading(attributes, excluded, omitted):
    selection = parse_selection(GROUP, attributes, excluded)
    assert selection.omits(GROUP.core, "members") is omitted


def test_attributes_with_a_value_path_keeps_only_matching_elements():
    """Microsoft's Postman collection asks attributes=emails[type eq "work"]."""
    resource = {**USER_RESOURCE, "emails": [{"value": "w", "type": "work"}, {"value": "h", "type": "home"}]}
    assert shown(['emails[type eq "work"]'], resource=resource) == {
        "schemas": USER_RESOURCE["schemas"], "id": "1", "emails": [{"value": "w", "type": "work"}]}


def test_a_malformed_value_path_in_attributes_is_invalid_filter():
    with pytest.raises(ScimError) as raised:
        shown(['emails[type eq "work"'])
    assert raised.value.scim_type == "invalidFilter"


def test_the_default_representation_is_the_general_rule_applied():
    """Requests without attributes / excludedAttributes take a shortcut; it must give what the general
    rule gives (here forced by excluding an attribute the resource does not have): returned never and
    request left out, unknown and null attributes dropped, extensions kept."""
    resource = {**USER_RESOURCE, "password": "secret", "nickName": None, "notAnAttribute": 1,
                ENTERPRISE_SCHEMA: {"department": "Sales", "bogus": 2}}
    general = shown(excluded=["title"], resource=resource)
    assert shown(resource=resource) == general
    assert "password" not in general and "nickName" not in general and "notAnAttribute" not in general
    assert general[ENTERPRISE_SCHEMA] == {"department": "Sales"}
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g", "displayName": "G",
             "members": [{"value": "1"}]}
    assert shown(resource=group, schema=GROUP) == shown(excluded=["externalId"], resource=group, schema=GROUP)
