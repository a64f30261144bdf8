"""Validating a resource for create/replace into its stored form (RFC 7643 §2, RFC 7644 §3.3, §3.5.1)."""

import pytest

from shared.scim.attributes import GROUP, USER
from shared.scim.errors import ScimError
from shared.scim.resource import parse_resource
from shared.scim.schemas import (
    ENTERPRISE_SCHEMA,
    EXTENSION_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
)


def test_attribute_names_are_stored_in_their_canonical_spelling():
    """RFC 7643 §2.1: names are case-insensitive; filters and patches address the canonical ones."""
    resource = parse_resource({"USERNAME": "a", "Name": {"GIVENNAME": "A"}, "emails": [{"Value": "a@x"}]}, USER)
    assert resource["userName"] == "a"
    assert resource["name"] == {"givenName": "A"}
    assert resource["emails"] == [{"value": "a@x"}]


def test_extension_attributes_live_under_their_urn_however_they_are_sent():
    """RFC 7643 §3.3: nested under the URN, or URN-qualified at top level (some clients flatten)."""
    resource = parse_resource({"userName": "a", ENTERPRISE_SCHEMA.upper(): {"Department": "Sales"},
                               f"{ENTERPRISE_SCHEMA}:costCenter": "42"}, USER)
    assert resource[ENTERPRISE_SCHEMA] == {"department": "Sales", "costCenter": "42"}
    assert resource["schemas"] == [USER_SCHEMA, ENTERPRISE_SCHEMA]


def test_our_extension_keeps_the_products_list():
    resource = parse_resource({"userName": "a", EXTENSION_SCHEMA: {"products": ["Sales", "Talent"],
                                                                 "creditLimit": 100}}, USER)
    assert resource[EXTENSION_SCHEMA] == {"products": ["Sales", "Talent"], "creditLimit": 100}


def test_dotted_keys_set_sub_attributes():
    assert parse_resource({"userName": "a", "name.familyName": "F"}, USER)["name"] == {"familyName": "F"}


def test_unknown_attributes_and_schemas_are_ignored():
    """Entra adds its own group schema URN; unknown attributes are not stored (RFC 7644 §3.3)."""
    body = {"schemas": [GROUP_SCHEMA, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "displayName": "G", "bogus": 1, "urn:example:other:1.0:Group": {"x": 1}}
    assert parse_resource(body, GROUP) == {"displayName": "G", "schemas": [GROUP_SCHEMA]}


def test_read_only_and_never_returned_attributes_are_not_stored():
    """RFC 7643 §2.2: readOnly values sent by a client SHALL be ignored; password is returned never."""
    body = {"userName": "a", "id": "x", "meta": {}, "groups": [{"value": "g"}], "password": "secret",
            ENTERPRISE_SCHEMA: {"manager": {"value": "m", "displayName": "read-only"}}}
    resource = parse_resource(body, USER)
    assert not {"id", "meta", "groups", "password"} & resource.keys()
    assert resource[ENTERPRISE_SCHEMA] == {"manager": {"value": "m"}}


def test_a_manager_sent_as_its_bare_id_is_its_value():
    """Entra's default manager mapping sends the manager's id alone (Microsoft Q&A 188003, SCIM-SDK#686);
    a complex attribute without a ``value`` sub-attribute (name) still needs an object."""
    resource = parse_resource({"userName": "a", ENTERPRISE_SCHEMA: {"manager": "m1"}}, USER)
    assert resource[ENTERPRISE_SCHEMA] == {"manager": {"value": "m1"}}


def test_values_are_kept_verbatim_and_nulls_unset():
    """Entra: "transformations of data shouldn't happen"; null means unassigned (RFC 7643 §2.5)."""
    resource = parse_resource({"userName": " Mixed Case ", "title": None, "emails": [None, {"value": "A@X"}]}, USER)
    assert resource["userName"] == " Mixed Case "
    assert "title" not in resource
    assert resource["emails"] == [{"value": "A@X"}]


@pytest.mark.parametrize(("body", "detail"), [
    ({"userName": "a", "emails": [{"value": "1", "primary": True}, {"value": "2", "primary": "True"}]}, "primary"),
    ({"userName": "a", "name": "Ann"}, "name must be an object"),
    ({"userName": "a", "title": 5}, "title must be a string"),
    ({"userName": "a", EXTENSION_SCHEMA: {"creditLimit": "ten"}}, "creditLimit must be an integer"),
    ({"userName": "a", EXTENSION_SCHEMA: {"creditLimit": True}}, "creditLimit must be an integer"),
    ({"userName": "a", ENTERPRISE_SCHEMA: "Sales"}, "must be an object of attributes"),
    ({"userName": "a", "emails.value": "x"}, "multi-valued"),
    ({"displayName": ""}, "userName is required"),
    # RFC 7643 §2.4: value is the email; one without it was stored (and shown, and filtered on) as an email
    ({"userName": "a", "emails": [{"type": "work", "primary": True}]}, "emails: each one needs a value"),
    ({"userName": "a", "emails": [{"value": "a@x"}, {"type": "home", "value": None}]}, "emails: each one needs"),
    ({"userName": "a", "emails": [{"type": "work", "value": " "}]}, "emails: each one needs a value"),
    # NUL: no name or address has one
    ({"userName": "a", "displayName": "Ann\x00Admin"}, "displayName must not contain NUL"),
    ({"userName": "a", "emails": [{"value": "a@x\x00.evil"}]}, "emails.value must not contain NUL"),
    ({"userName": "a\x00"}, "userName must not contain NUL"),
])
def test_invalid_values_are_400_invalid_value_naming_the_attribute(body, detail):
    with pytest.raises(ScimError) as raised:
        parse_resource(body, USER)
    assert (raised.value.status, raised.value.scim_type) == (400, "invalidValue")
    assert detail in raised.value.detail


def test_a_group_needs_a_display_name():
    """RFC 7643 §4.2: displayName is REQUIRED."""
    with pytest.raises(ScimError, match="displayName is required"):
        parse_resource({"members": []}, GROUP)


def test_a_group_display_name_with_nul_is_400():
    with pytest.raises(ScimError, match="displayName must not contain NUL") as raised:
        parse_resource({"displayName": "Team\x00"}, GROUP)
    assert raised.value.scim_type == "invalidValue"
