"""Filters evaluated in memory (RFC 7644 §3.4.2.2): the semantics the SQL compiler must reproduce."""

import pytest

from contracts.filters import AttributePath, Comparison, ValuePath
from shared.scim.attributes import GROUP, USER
from shared.scim.errors import ScimError
from shared.scim.filter_match import element_matches, matches
from shared.scim.filter_parser import parse_filter

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCIMFLOW = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"

BJENSEN = {
    "id": "2819c223",
    "externalId": "Ext-1",
    "userName": "Bjensen@Example.com",
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "title": "",
    "active": True,
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    "roles": [],
    ENTERPRISE: {"department": "Sales", "manager": {"value": "26118915", "displayName": "John Smith"}},
    SCIMFLOW: {"products": ["Sales", "Engage"], "creditLimit": 100},
    "meta": {"resourceType": "User", "created": "2024-01-01T10:00:00+02:00",
             "lastModified": "2024-02-01T08:00:00Z"},
}


def holds(text: str, resource: dict = BJENSEN) -> bool:
    return matches(parse_filter(text, USER), resource, USER)


@pytest.mark.parametrize(("text", "expected"), [
    ('userName eq "BJENSEN@example.COM"', True),  # caseExact false (RFC 7643 §4.1.1)
    ('externalId eq "ext-1"', False),  # caseExact true
    ('externalId eq "Ext-1"', True),
    ('id eq "2819C223"', False),
    ('name.familyName sw "jen"', True),
    ('name.familyName ew "SEN"', True),
    ('name.givenName co "arba"', True),
    ('name.givenName gt "barb"', True),  # lexicographic on the folded value
    ('name.givenName lt "B"', False),
    ('meta.resourceType eq "user"', False),  # caseExact
])
def test_strings_honour_case_exact(text, expected):
    """RFC 7643 §2.3.1 caseExact; RFC 7644 §3.4.2.2 operators."""
    assert holds(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ('emails.value eq "babs@jensen.org"', True),  # any element
    ('emails co "JENSEN.ORG"', True),  # a complex attribute compared whole means its value
    ('emails.type eq "work" and emails.value co "jensen.org"', True),  # two elements may satisfy each side
    ('emails[type eq "work" and value co "jensen.org"]', False),  # one element must satisfy all
    ('emails[type eq "work" and value co "example.com"]', True),
    ('emails[type eq "home"].value eq "babs@jensen.org"', True),  # Entra's form
    ('emails[type eq "home"].value eq "bjensen@example.com"', False),
    ('emails[not (type eq "work")]', True),
    ('emails[primary eq true and type eq "home"]', False),
    (f'{SCIMFLOW}:products eq "ENGAGE"', True),  # multi-valued simple: any element
    (f'{SCIMFLOW}:products sw "Tal"', False),
])
def test_multi_valued_attributes_match_on_any_element(text, expected):
    """RFC 7644 §3.4.2.2: a multi-valued attribute matches if any value does; a valuePath needs one element."""
    assert holds(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("name pr", True),
    ("name.middleName pr", False),  # missing
    ("title pr", False),  # empty string
    ("roles pr", False),  # empty list
    ("emails pr", True),
    (f"{ENTERPRISE}:manager pr", True),
    (f"{ENTERPRISE}:costCenter pr", False),
    (f"{SCIMFLOW}:products pr", True),
    ("phoneNumbers pr", False),
])
def test_present(text, expected):
    """RFC 7644 §3.4.2.2 ``pr``: has a non-empty value."""
    assert holds(text) is expected


def test_present_ignores_empty_elements_and_nulls():
    resource = {"userName": "x", "emails": [{}], "nickName": None, SCIMFLOW: {"products": [""]}}
    assert not holds("emails pr", resource)
    assert not holds("nickName pr", resource)
    assert not holds(f"{SCIMFLOW}:products pr", resource)


@pytest.mark.parametrize(("text", "expected"), [
    ('nickName ne "x"', True),  # missing is not equal to anything
    ('not (nickName eq "x")', True),
    ('nickName eq "x"', False),
    ('nickName gt "a"', False),
    ('not (nickName gt "a")', True),
    ('emails.value ne "babs@jensen.org"', False),  # ne is "no element equals", the complement of eq
    ('emails.value ne "nobody@x.org"', True),
    ('emails[value ne "babs@jensen.org"]', True),  # ...but inside a value path it is per element
    ("nickName eq null", True),
    ("name eq null", False),
    ("phoneNumbers eq null", True),
    ("emails ne null", True),
    ("title eq null", True),  # "" is unassigned (RFC 7643 §2.5)
    ("name.familyName ne null", True),
])
def test_ne_not_and_null_with_missing_attributes(text, expected):
    """Our reading of RFC 7644 §3.4.2.2: ``ne`` is exactly ``not eq``, ``eq null`` is ``not pr``."""
    assert holds(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ('meta.created eq "2024-01-01T08:00:00Z"', True),  # +02:00 in the resource
    ('meta.created lt "2024-01-01T09:00:00+01:00"', False),
    ('meta.created lt "2024-01-01T09:00:01+01:00"', True),
    ('meta.lastModified ge "2024-02-01T09:00:00+01:00"', True),
    ('meta.lastModified gt "2024-02-01T09:00:00+01:00"', False),
])
def test_date_times_compare_as_instants(text, expected):
    """RFC 7644 §3.4.2.2: for dateTime, gt/ge/lt/le are chronological."""
    assert holds(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    (f'{ENTERPRISE}:department eq "sales"', True),
    (f'{ENTERPRISE}:manager.value eq "26118915"', True),
    (f'{ENTERPRISE}:manager[value eq "26118915"]', True),  # single-valued complex: the attribute itself
    (f'{ENTERPRISE}:manager[value eq "other"]', False),
    (f"{SCIMFLOW}:creditLimit gt 99", True),
    (f"{SCIMFLOW}:creditLimit le 99", False),
    ("active eq true", True),
    ("active eq false", False),
])
def test_extension_attributes_and_other_types(text, expected):
    assert holds(text) is expected


def test_stored_values_of_the_wrong_type_match_nothing():
    resource = {"userName": 5, "active": "true", SCIMFLOW: {"creditLimit": "100"}, "name": "Barbara"}
    for text in ('userName eq "5"', "active eq true", f"{SCIMFLOW}:creditLimit gt 1", 'name.givenName eq "B"',
                 'meta.created gt "2020-01-01T00:00:00Z"'):
        assert not holds(text, resource), text
    assert not holds('meta.created gt "2020-01-01T00:00:00Z"', {"meta": {"created": "not a date"}})


def test_element_matches_one_element_for_patch():
    """RFC 7644 §3.5.2: PATCH selects the elements of ``emails[type eq "work"]``."""
    node = parse_filter('emails[type eq "WORK" and not (primary eq false)]', USER)
    assert isinstance(node, ValuePath)
    elements = [{"type": "work", "value": "a"}, {"type": "work", "primary": False}, {"type": "home"}, "junk"]
    assert [element_matches(node.filter, element, USER) for element in elements] == [True, False, False, False]


def test_element_matches_group_members():
    node = parse_filter('members[value eq "u1"]', GROUP)
    assert isinstance(node, ValuePath)
    assert element_matches(node.filter, {"value": "U1"}, GROUP)  # members.value is not caseExact (RFC 7643 §8.7.1)
    assert not element_matches(node.filter, {"value": "u2"}, GROUP)


def test_a_hand_built_tree_is_checked_too():
    """The store evaluates trees from the wire: unknown or non-canonical paths are invalidFilter."""
    for path in (AttributePath(urn=USER.core, name="username"), AttributePath(urn=USER.core, name="nope")):
        with pytest.raises(ScimError) as raised:
            matches(Comparison(path=path, op="eq", value="x"), BJENSEN, USER)
        assert raised.value.scim_type == "invalidFilter"
    with pytest.raises(ScimError):
        matches(Comparison(path=AttributePath(urn=USER.core, name="active"), op="gt", value=True), BJENSEN, USER)
