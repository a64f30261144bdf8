"""The SCIM filter grammar (RFC 7644 §3.4.2.2, Figure 1), parsed to the contract AST with canonical names."""

import pytest

from contracts.filters import (
    And,
    AttributePath,
    Comparison,
    Not,
    Or,
    Present,
    ValuePath,
)
from shared.scim.attributes import GROUP, USER, ResourceSchema
from shared.scim.errors import ScimError
from shared.scim.filter_parser import parse_filter

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCIMFLOW = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"


def path(text: str, schema: ResourceSchema = USER) -> AttributePath:
    resolved = schema.resolve(text)
    assert resolved is not None
    return resolved


def eq(text: str, value, schema: ResourceSchema = USER, op: str = "eq") -> Comparison:
    return Comparison(path=path(text, schema), op=op, value=value)


def invalid(text: str, schema: ResourceSchema = USER) -> str:
    with pytest.raises(ScimError) as raised:
        parse_filter(text, schema)
    assert (raised.value.status, raised.value.scim_type) == (400, "invalidFilter")
    return raised.value.detail


def test_what_okta_and_entra_send_to_match_before_create():
    """SCIM-NOTES §2–3: userName/externalId lookups on /Users, displayName on /Groups."""
    assert parse_filter('userName eq "test.user@okta.local"', USER) == eq("userName", "test.user@okta.local")
    assert parse_filter('externalId eq "00u1abcd"', USER) == eq("externalId", "00u1abcd")
    assert parse_filter('displayName eq "Test SCIMv2"', GROUP) == eq("displayName", "Test SCIMv2", GROUP)
    assert parse_filter('userName eq "a" and externalId eq "b"', USER) == And(
        operands=[eq("userName", "a"), eq("externalId", "b")])


def test_entra_value_path_with_sub_attribute_means_one_element_satisfies_both():
    """Entra sends ``emails[type eq "work"].value eq "x"``: outside the ABNF, read as one element."""
    assert parse_filter('emails[type eq "work"].value eq "x@y.com"', USER) == ValuePath(
        path=path("emails"), filter=And(operands=[eq("emails.type", "work"), eq("emails.value", "x@y.com")]))


def test_a_patch_path_alone_is_not_a_filter():
    """RFC 7644 §3.5.2: ``attr[filter].sub`` is PATCH path syntax; as a filter it lacks a comparison."""
    assert "expected an operator" in invalid('emails[type eq "work"].value')


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
def test_every_comparison_operator(op):
    """RFC 7644 §3.4.2.2 Table 3."""
    assert parse_filter(f'title {op} "x"', USER) == eq("title", "x", op=op)


def test_present():
    assert parse_filter("title pr", USER) == Present(path=path("title"))


def test_names_operators_and_keywords_are_case_insensitive():
    """RFC 7643 §2.1 (names); ABNF string literals are case-insensitive (RFC 5234 §2.3)."""
    assert parse_filter('USERNAME EQ "x" AND NOT (Title PR) OR name.FAMILYNAME Sw "y"', USER) == Or(operands=[
        And(operands=[eq("userName", "x"), Not(operand=Present(path=path("title")))]),
        eq("name.familyName", "y", op="sw"),
    ])
    assert parse_filter("active EQ TRUE", USER) == eq("active", True)


def test_and_binds_tighter_than_or():
    """RFC 7644 §3.4.2.2: ``a or b and c`` is ``a or (b and c)``."""
    assert parse_filter('title pr or userType eq "x" and nickName pr', USER) == Or(operands=[
        Present(path=path("title")),
        And(operands=[eq("userType", "x"), Present(path=path("nickName"))]),
    ])


def test_parentheses_group():
    assert parse_filter('(title pr or userType eq "x") and nickName pr', USER) == And(operands=[
        Or(operands=[Present(path=path("title")), eq("userType", "x")]),
        Present(path=path("nickName")),
    ])


def test_not_applies_to_a_parenthesised_filter():
    assert parse_filter('userType ne "E" and not (emails co "a" or emails.value co "b")', USER) == And(operands=[
        eq("userType", "E", op="ne"),
        Not(operand=Or(operands=[eq("emails.value", "a", op="co"), eq("emails.value", "b", op="co")])),
    ])
    assert "expected '(' after 'not'" in invalid('not userName eq "x"')


def test_chains_are_flat():
    assert parse_filter("title pr or nickName pr or userType pr", USER) == Or(
        operands=[Present(path=path(name)) for name in ("title", "nickName", "userType")])


def test_value_path_names_sub_attributes_of_its_attribute():
    """RFC 7644 §3.4.2.2 valuePath: ``emails[type eq "work" and value co "@example.com"]``."""
    assert parse_filter('emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp"]', USER) == Or(
        operands=[
            ValuePath(path=path("emails"), filter=And(
                operands=[eq("emails.type", "work"), eq("emails.value", "@example.com", op="co")])),
            ValuePath(path=path("ims"), filter=eq("ims.type", "xmpp")),
        ])
    assert parse_filter('members[value eq "u1"]', GROUP) == ValuePath(
        path=path("members", GROUP), filter=eq("members.value", "u1", GROUP))


def test_not_and_grouping_inside_a_value_path():
    assert parse_filter('emails[not (type eq "work") and (primary eq true)]', USER) == ValuePath(
        path=path("emails"),
        filter=And(operands=[Not(operand=eq("emails.type", "work")), eq("emails.primary", True)]))


def test_a_complex_attribute_compared_whole_means_its_value():
    """RFC 7644 §3.4.2.2 example ``emails co "example.com"``; RFC 7643 §2.4 "value"."""
    assert parse_filter('emails co "example.com"', USER) == eq("emails.value", "example.com", op="co")
    assert parse_filter(f'{ENTERPRISE}:manager eq "u1"', USER) == eq(f"{ENTERPRISE}:manager.value", "u1")
    assert "compare one of its sub-attributes" in invalid('name eq "x"')


def test_urn_qualified_names():
    """RFC 7644 §3.10: core and extension attributes may carry their schema URN."""
    assert parse_filter(f'{ENTERPRISE}:department eq "Sales"', USER) == eq(f"{ENTERPRISE}:department", "Sales")
    assert parse_filter('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "B"', USER) == eq(
        "name.givenName", "B")
    assert parse_filter(f'{ENTERPRISE.upper()}:MANAGER.VALUE pr', USER) == Present(
        path=path(f"{ENTERPRISE}:manager.value"))
    assert parse_filter(f"{SCIMFLOW}:products pr", USER) == Present(path=path(f"{SCIMFLOW}:products"))


def test_string_values_are_json_strings():
    """RFC 7644 §3.4.2.2: compValue strings are JSON strings (RFC 7159 escapes)."""
    assert parse_filter(r'title eq "say \"hi\" \\ \u00e9\n and"', USER) == eq("title", 'say "hi" \\ é\n and')
    assert parse_filter("""title eq "it's 100%_off" """, USER) == eq("title", "it's 100%_off")
    assert "malformed string" in invalid(r'title eq "bad \x escape"')
    assert "malformed string" in invalid('title eq "unterminated')


def test_literal_values_are_typed():
    assert parse_filter("active eq false", USER) == eq("active", False)
    assert parse_filter(f"{SCIMFLOW}:creditLimit ge -5", USER) == eq(f"{SCIMFLOW}:creditLimit", -5, op="ge")
    assert parse_filter(f"{SCIMFLOW}:creditLimit lt 1000", USER) == eq(f"{SCIMFLOW}:creditLimit", 1000, op="lt")


def test_a_quoted_boolean_is_the_boolean():
    """Entra's app-role mapping targets ``roles[primary eq "True"].value`` (Microsoft's "Customize
    attribute mappings", SingleAppRoleAssignment): Entra quotes the boolean."""
    assert parse_filter('roles[primary eq "True"]', USER) == ValuePath(path=path("roles"),
                                                                       filter=eq("roles.primary", True))
    assert parse_filter('active eq "false"', USER) == eq("active", False)


def test_null_compares_with_eq_and_ne_only():
    assert parse_filter("title eq null", USER) == eq("title", None)
    assert parse_filter("title ne null", USER) == eq("title", None, op="ne")
    assert parse_filter("emails eq null", USER) == eq("emails", None)  # the attribute, not emails.value
    assert "null can only be compared with eq or ne" in invalid("title gt null")


def test_date_times_are_normalised_to_utc():
    """RFC 7643 §2.3.5: dateTime values compare as instants, so filters carry one UTC form."""
    assert parse_filter('meta.lastModified gt "2011-05-13T04:42:34+02:00"', USER) == eq(
        "meta.lastModified", "2011-05-13T02:42:34.000000Z", op="gt")
    assert parse_filter('meta.created le "2015-10-10T14:38:21.8617979-07:00"', USER) == eq(
        "meta.created", "2015-10-10T21:38:21.861797Z", op="le")
    assert parse_filter('meta.created eq "2020-01-01T00:00:00"', USER) == eq(
        "meta.created", "2020-01-01T00:00:00.000000Z")


@pytest.mark.parametrize(("text", "detail"), [
    ('active eq "yes"', '"yes" is not a valid boolean value for active'),
    ("userName eq 5", "5 is not a valid string value for userName"),
    (f"{SCIMFLOW}:creditLimit eq 1.5", "1.5 is not a valid integer value"),
    (f"{SCIMFLOW}:creditLimit eq 1e3", "1000.0 is not a valid integer value"),  # RFC 7643 §2.3.4: no exponent
    (f'{SCIMFLOW}:creditLimit eq "5"', '"5" is not a valid integer value'),
    ('meta.created gt "yesterday"', "not an RFC 3339 dateTime"),
    ('meta.created gt "2020-01-01"', "not an RFC 3339 dateTime"),
    ("meta.created gt 5", "not a valid dateTime value"),
    ("active gt true", "'gt' cannot be applied to active (type boolean)"),
    ('x509Certificates.value lt "AA=="', "'lt' cannot be applied to x509Certificates.value (type binary)"),
    (f"{SCIMFLOW}:creditLimit co 5", "'co' cannot be applied"),
    ('meta.created sw "2020"', "'sw' cannot be applied"),
])
def test_values_and_operators_must_suit_the_attribute_type(text, detail):
    """RFC 7644 §3.4.2.2: gt/ge/lt/le on boolean or binary fail with invalidFilter; values match types."""
    assert detail in invalid(text)


@pytest.mark.parametrize(("text", "detail"), [
    ("", "expected an attribute name at position 1, found the end of the filter"),
    ("   ", "expected an attribute name"),
    ("userName", "expected an operator after userName"),
    ("userName eq", "expected a value at position 12"),
    ('userName lk "x"', "unknown operator 'lk'"),
    ('userName eq "x" or', "expected an attribute name"),
    ('userName eq "x" extra', "expected the end of the filter at position 17, found 'extra'"),
    ('(userName eq "x"', "expected ')'"),
    ('userName eq "x")', "found ')'"),
    ('emails[type eq "work"', "expected ']'"),
    ('emails[value[type eq "x"]]', "value filters cannot be nested"),
    ('userName[value eq "x"]', "userName[...] needs a complex attribute"),
    ('noSuchThing eq "x"', "unknown attribute 'noSuchThing' at position 1"),
    ('emails[nope eq "x"]', "unknown attribute 'nope' of emails at 8"),
    ('name.nope eq "x"', "unknown attribute 'name.nope'"),
    ('urn:example:unknown:attr eq "x"', "unknown attribute"),
    ('userName eq "x" & title pr', "unexpected character '&' at position 17"),
    ('5x eq "a"', "unexpected character '5'"),
    ("(" * 40 + "title pr" + ")" * 40, "nested deeper than"),
])
def test_syntax_errors_are_invalid_filter_with_a_position(text, detail):
    """RFC 7644 §3.12: invalid syntax is 400 scimType invalidFilter; the detail says where."""
    assert detail in invalid(text)


def test_group_attributes_are_not_user_attributes():
    assert "unknown attribute 'userName'" in invalid('userName eq "x"', GROUP)


def test_unquoted_values_as_microsoft_sends_them():
    """RFC 7644 §3.4.2.2 quotes compValue strings; Microsoft's SCIM examples and test collection, and Entra's
    documentation (``externalId eq jyoung``), send them bare. A value that can be nothing else is taken."""
    assert parse_filter("externalId eq jyoung", USER) == eq("externalId", "jyoung")
    assert parse_filter("userName sw O", USER) == eq("userName", "O", op="sw")
    assert parse_filter("name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)",
                        USER) == And(operands=[
                            eq("name.familyName", "Employee"),
                            Or(operands=[eq("emails.value", "example.com", op="co"),
                                         eq("emails.value", "example.org", op="co")])])


def test_an_unquoted_date_time_is_a_date_time():
    """Microsoft's example ``meta.Created gt 2015-10-10T14:38:21.8617979-07:00``: a dateTime attribute
    (RFC 7643 §2.3.5) takes the bare value as a dateTime, normalised like a quoted one."""
    assert parse_filter("meta.Created gt 2015-10-10T14:38:21.8617979-07:00", USER) == eq(
        "meta.created", "2015-10-10T21:38:21.861797Z", op="gt")
    assert "not an RFC 3339 dateTime" in invalid("meta.created gt yesterday")


def test_an_unquoted_value_ends_at_a_bracket_or_parenthesis():
    """``]`` closes a valuePath and ``)`` a group (RFC 7644 §3.4.2.2): neither belongs to a bare value."""
    assert parse_filter("emails[value eq x@y.z]", USER) == ValuePath(path=path("emails"),
                                                                    filter=eq("emails.value", "x@y.z"))
    assert parse_filter("emails[type eq work].value eq x@y.z", USER) == ValuePath(
        path=path("emails"), filter=And(operands=[eq("emails.type", "work"), eq("emails.value", "x@y.z")]))
    assert parse_filter("not (userName eq jane)", USER) == Not(operand=eq("userName", "jane"))
    assert parse_filter("members[value eq 2819c223-7f76-453a-919d-413861904646]", GROUP) == ValuePath(
        path=path("members", GROUP), filter=eq("members.value", "2819c223-7f76-453a-919d-413861904646", GROUP))


def test_an_unquoted_value_is_anything_without_spaces():
    """Not a JSON number (``5x``, ``1.2.3``), not a literal (``trueish``): text, apostrophes and all."""
    assert parse_filter("externalId eq 5x", USER) == eq("externalId", "5x")
    assert parse_filter("title eq 1.2.3", USER) == eq("title", "1.2.3")
    assert parse_filter("title eq trueish", USER) == eq("title", "trueish")
    assert parse_filter("name.familyName eq O'Brien", USER) == eq("name.familyName", "O'Brien")
    assert parse_filter("displayName eq Zoë", USER) == eq("displayName", "Zoë")


def test_literals_keep_their_meaning_unquoted():
    """RFC 7644 §3.4.2.2: true, false, null and numbers are the grammar's own values; as text they need quotes."""
    assert parse_filter("title eq null", USER) == eq("title", None)
    assert parse_filter("active eq True", USER) == eq("active", True)
    assert parse_filter(f"{SCIMFLOW}:creditLimit eq 5", USER) == eq(f"{SCIMFLOW}:creditLimit", 5)
    assert 'quote it: title eq "true"' in invalid("title eq true")
    assert 'quote it: externalId eq "12345"' in invalid("externalId eq 12345")
    assert 'quote it: emails[...].value eq "1e3"' in invalid("emails[type eq work].value eq 1e3")


@pytest.mark.parametrize(("text", "detail"), [
    ("active eq yes", "yes is not a valid boolean value for active"),
    (f"{SCIMFLOW}:creditLimit eq 5x", "5x is not a valid integer value"),
    (f"{SCIMFLOW}:creditLimit eq 007", "007 is not a valid integer value"),
])
def test_unquoted_values_of_booleans_and_numbers_are_their_literals_only(text, detail):
    """RFC 7643 §2.3.2, §2.3.4: a boolean is true or false, an integer its JSON number; nothing else guessed."""
    assert detail in invalid(text)


@pytest.mark.parametrize(("text", "detail"), [
    ("userName eq John Smith", "found 'Smith'. The unquoted value 'John' ends at the first space"),
    ("displayName eq Sales (EMEA)", "found '('. The unquoted value 'Sales' ends"),
    ('title eq ab"c"', "found '\"c\"'. The unquoted value 'ab' ends"),
    ('title eq ab"c', "a malformed string at position 12. The unquoted value 'ab' ends"),
    ("userName eq and", "found the keyword 'and'; if it is the value, quote it: userName eq \"and\""),
    ("userName eq OR title pr", "found the keyword 'OR'; if it is the value, quote it"),
    ("userName eq not", "found the keyword 'not'; if it is the value, quote it"),
    ("userName eq 'jane'", "single quotes do not quote a value"),
    ("userName eq \x01x", "unexpected character '\\x01'"),
])
def test_ambiguous_unquoted_values_are_invalid_filter_saying_how_to_quote(text, detail):
    """RFC 7644 §3.4.2.2, §3.12: what could be read two ways stays 400 invalidFilter, and says to quote."""
    assert detail in invalid(text)
