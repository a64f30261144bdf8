"""The foundation's filter subset (RFC 7644 §3.4.2.2): ``attr eq "value"`` joined by ``and``."""

import pytest

from contracts.users.v1 import AttributeEquals
from services.gateway.scim.errors import ScimError
from services.gateway.scim.filters import parse_filter


def eq(attribute: str, value: str) -> AttributeEquals:
    return AttributeEquals(attribute=attribute, value=value)


def test_okta_lookup_before_create():
    assert parse_filter('userName eq "test.user@okta.local"') == [eq("userName", "test.user@okta.local")]


def test_attribute_names_and_operators_are_case_insensitive():
    """RFC 7643 §2.1: attribute names are case-insensitive; RFC 7644 §3.4.2.2 operators too."""
    assert parse_filter('USERNAME EQ "a"') == [eq("userName", "a")]
    assert parse_filter('externalid Eq "x"') == [eq("externalId", "x")]


def test_and_joins_criteria_but_not_inside_quotes():
    assert parse_filter('userName eq "a and b" and externalId eq "x"') == [
        eq("userName", "a and b"), eq("externalId", "x"),
    ]


def test_escaped_quotes_in_values():
    assert parse_filter(r'userName eq "say \"hi\""') == [eq("userName", 'say "hi"')]


@pytest.mark.parametrize("text", [
    'userName eq',  # no value
    'userName eq unquoted',  # RFC 7644 values are JSON literals; strings are quoted
    'userName co "a"',  # not supported yet: must say so, not silently match everything
    'emails.value eq "a"',  # not filterable yet
    'userName eq "a" or userName eq "b"',
    '',
])
def test_anything_else_is_400_invalid_filter(text):
    with pytest.raises(ScimError) as raised:
        parse_filter(text)
    assert (raised.value.status, raised.value.scim_type) == (400, "invalidFilter")
