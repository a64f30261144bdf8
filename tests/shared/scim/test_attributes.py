"""Attribute look-up: the schemas' own definitions are indexed, any other definition is scanned alike."""

import copy

import pytest

from shared.scim.attributes import GROUP, USER, sub_definition
from shared.scim.schemas import (
    ENTERPRISE_SCHEMA,
    EXTENSION_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
)


@pytest.mark.parametrize(("schema", "urn", "attribute", "sub"), [
    (USER, USER_SCHEMA, "emails", "VALUE"), (USER, USER_SCHEMA, "name", "givenname"),
    (USER, ENTERPRISE_SCHEMA, "manager", "displayName"), (GROUP, GROUP_SCHEMA, "members", "$ref"),
    (USER, USER_SCHEMA, "emails", "nonexistent"),
])
def test_a_sub_attribute_is_found_by_any_case_in_the_schema_and_in_a_copy_alike(schema, urn, attribute, sub):
    definition = schema.attribute(schema.resolve(f"{urn}:{attribute}"))
    found = sub_definition(definition, sub)
    assert found == sub_definition(copy.deepcopy(definition), sub)
    assert (found or {}).get("name", sub).lower() == sub.lower()


def test_a_simple_attribute_has_no_sub_attributes():
    assert sub_definition(USER.attribute(USER.resolve("userName")), "value") is None


@pytest.mark.parametrize("text", [USER_SCHEMA, USER_SCHEMA.upper(), ENTERPRISE_SCHEMA.lower(), EXTENSION_SCHEMA])
def test_a_schema_urn_is_recognised_in_any_case_and_given_back_canonical(text):
    assert USER.schema_urn(text) in (USER_SCHEMA, ENTERPRISE_SCHEMA, EXTENSION_SCHEMA)
    assert USER.schema_urn(text).lower() == text.lower()


def test_what_is_not_one_of_the_resource_schemas_is_no_urn():
    assert USER.schema_urn(GROUP_SCHEMA) is None and USER.schema_urn("userName") is None
