"""Filtering (RFC 7644 §3.4.2.2) on one small population of users, by name of who matches."""

from __future__ import annotations

import uuid

import pytest

from tests.idp_flows.bodies import ENTERPRISE, SCIMFLOW, USER, eq, okta_user
from tests.idp_flows.steps import create, create_group, look_up

CREDIT = f"{SCIMFLOW}:creditLimit"
EMPLOYEE_NUMBER = f"{ENTERPRISE}:employeeNumber"


def email(value: str, type_: str, primary: bool = False) -> dict:
    return {"value": value, "type": type_, "primary": primary}


def person(user_name: str, title: str | None, family: str, emails: list[dict], **extra) -> dict:
    """An Okta-shaped user carrying only the extensions given (and listing exactly those in schemas)."""
    given = user_name.split("@")[0].capitalize()
    body = okta_user(user_name, given=given, family=family, emails=emails, externalId=f"ext-{given}")
    del body[SCIMFLOW]
    body |= extra | ({"title": title} if title else {})
    body["schemas"] = [USER, *(urn for urn in (ENTERPRISE, SCIMFLOW) if urn in body)]
    return body


PEOPLE = [
    person("alice@example.com", "Engineer", "Anders",
           [email("alice@example.com", "work", True), email("alice.home@example.org", "home")],
           **{ENTERPRISE: {"employeeNumber": "1001"}, SCIMFLOW: {"creditLimit": 100}}),
    person("bob@example.org", "Manager", "Brown", [email("bob@example.org", "work", True)],
           **{ENTERPRISE: {"employeeNumber": "1002"}, SCIMFLOW: {"creditLimit": 500}}),
    person("carol@example.net", None, "Clark",
           [email("carol@example.net", "work", True), email("carol.home@example.com", "home")],
           active=False, **{ENTERPRISE: {"employeeNumber": "1003"}, SCIMFLOW: {"creditLimit": 1000}}),
    person("DAVE@EXAMPLE.COM", "Director", "Davis", [email("DAVE@EXAMPLE.COM", "work", True)]),
]


@pytest.fixture
async def people(scim) -> dict[str, dict]:
    """alice, bob, carol (inactive, no title) and dave (upper-case, no extensions), by first name."""
    created = [await create(scim, "/Users", body) for body in PEOPLE]
    return {user["userName"].split("@")[0].lower(): user for user in created}


async def who(scim, filter_: str, endpoint: str = "/Users") -> set[str]:
    """The first names of the users ``filter_`` matches; the answer must be a consistent ListResponse."""
    found = await look_up(scim, endpoint, filter_)
    assert found["totalResults"] == len(found["Resources"]), found
    return {user["userName"].split("@")[0].lower() for user in found["Resources"]}


def cases(*rows: tuple[str, set[str]]):
    return pytest.mark.parametrize("filter_, expected", rows, ids=[row[0] for row in rows])


@cases(
    ('userName eq "alice@example.com"', {"alice"}),
    ('userName ne "alice@example.com"', {"bob", "carol", "dave"}),
    ('userName co "example.org"', {"bob"}),
    ('userName sw "car"', {"carol"}),
    ('userName ew ".net"', {"carol"}),
    ("title pr", {"alice", "bob", "dave"}),
    ('userName gt "bob@example.org"', {"carol", "dave"}),
    ('userName ge "bob@example.org"', {"bob", "carol", "dave"}),
    ('userName lt "bob"', {"alice"}),
    ('userName le "bob@example.org"', {"alice", "bob"}),
    (f"{CREDIT} gt 100", {"bob", "carol"}),
    (f"{CREDIT} ge 100", {"alice", "bob", "carol"}),
    (f"{CREDIT} lt 500", {"alice"}),
    (f"{CREDIT} le 500", {"alice", "bob"}),
    ('meta.created gt "2000-01-01T00:00:00Z"', {"alice", "bob", "carol", "dave"}),
    ('meta.lastModified lt "2000-01-01T00:00:00Z"', set()),
    ("active eq false", {"carol"}),
)
async def test_attribute_operators(scim, people, filter_, expected):
    """SCIM-NOTES §1.28 / RFC 7644 §3.4.2.2 Table 3: eq ne co sw ew gt ge lt le pr on strings (caseExact
    false compares case-insensitively), integers, booleans and dateTimes."""
    assert await who(scim, filter_) == expected


@cases(
    ('title eq "Engineer" or title eq "Manager"', {"alice", "bob"}),
    ("title pr and active eq true", {"alice", "bob", "dave"}),
    ("not (title pr)", {"carol"}),
    ('not (userName eq "alice@example.com") and title pr', {"bob", "dave"}),
    ('not (title pr) or userName sw "alice"', {"alice", "carol"}),
    ('(title eq "Engineer" or title eq "Manager") and userName sw "b"', {"bob"}),
    ('title eq "Engineer" or title eq "Manager" and userName sw "carol"', {"alice"}),
    ('(title eq "Engineer" or title eq "Manager") and userName sw "carol"', set()),
    ('title eq "Manager" and userName sw "bob" or active eq false', {"bob", "carol"}),
)
async def test_logical_operators_grouping_and_precedence(scim, people, filter_, expected):
    """SCIM-NOTES §1.28 / RFC 7644 §3.4.2.2 Table 4, Fig. 1: and, or, not ( … ), grouping; ``not`` binds
    tighter than ``and``, which binds tighter than ``or``: ``a or b and c`` is ``a or (b and c)``."""
    assert await who(scim, filter_) == expected


@cases(
    ('USERNAME EQ "alice@example.com"', {"alice"}),
    ('DisplayName eq "Bob Brown"', {"bob"}),
    ('name.FamilyName eq "Anders" and (emails.Value co "example.com" or emails.Value co "example.org")',
     {"alice"}),
    ('meta.Created gt "2015-10-10T14:38:21.8617979-07:00"', {"alice", "bob", "carol", "dave"}),
    ('title Eq "Engineer" OR title eQ "Manager"', {"alice", "bob"}),
    ("TITLE PR AND NOT (Active Eq False)", {"alice", "bob", "dave"}),
    (f"{EMPLOYEE_NUMBER.upper()} eq \"1002\"", {"bob"}),
)
async def test_attribute_names_and_operators_are_case_insensitive(scim, people, filter_, expected):
    """SCIM-NOTES §1.29 / RFC 7643 §2.1, RFC 7644 §3.4.2.2: attribute names, URNs and operators are
    case-insensitive (the Microsoft Postman collection's filters)."""
    assert await who(scim, filter_) == expected


@cases(
    ('userName eq "ALICE@EXAMPLE.COM"', {"alice"}),
    ('userName eq "dave@example.com"', {"dave"}),
    ('externalId eq "ext-Alice"', {"alice"}),
    ('externalId eq "EXT-ALICE"', set()),
    ('externalId sw "ext-a"', set()),
)
async def test_string_comparisons_honour_case_exact(scim, people, filter_, expected):
    """SCIM-NOTES §1.30 / RFC 7644 §3.4.2.2: userName (caseExact false) matches any case — Okta's
    "Username Case Sensitivity Check"; externalId (caseExact true) only the exact case."""
    assert await who(scim, filter_) == expected


async def test_id_compares_case_exactly(scim, people):
    """SCIM-NOTES §1.30, §1.52 / RFC 7643 §3.1: id is caseExact."""
    user_id = people["alice"]["id"]
    assert await who(scim, eq("id", user_id)) == {"alice"}
    if user_id.upper() != user_id:
        assert await who(scim, eq("id", user_id.upper())) == set()


@cases(
    ('emails[type eq "work"].value eq "carol@example.net"', {"carol"}),
    ('emails[type eq "home" and value co "@example.org"]', {"alice"}),
    ('emails[type eq "work" and value co "@EXAMPLE.com"]', {"alice", "dave"}),
    ('emails[type eq "home"]', {"alice", "carol"}),
    ('emails.value eq "carol.home@example.com"', {"carol"}),
    ('emails.type eq "work" and emails.value eq "alice.home@example.org"', {"alice"}),
    ('emails[type eq "work" and value eq "alice.home@example.org"]', set()),
    ('emails[not (type eq "work")]', {"alice", "carol"}),
    (f'{EMPLOYEE_NUMBER} eq "1002"', {"bob"}),
    (f'{ENTERPRISE}:employeeNumber pr and not ({CREDIT} gt 100)', {"alice"}),
)
async def test_value_paths_sub_attributes_and_urns(scim, people, filter_, expected):
    """SCIM-NOTES §1.31 / RFC 7644 §3.4.2.2: ``attr[filter]`` needs one element to satisfy the whole inner
    filter, while ``emails.x`` conditions may match different elements; URN-qualified names work."""
    assert await who(scim, filter_) == expected


async def test_group_members_value_path(scim, people):
    """SCIM-NOTES §1.31 / RFC 7644 §3.4.2.2: ``members[value eq "id"]`` finds the groups of a member."""
    with_bob = await create_group(scim, people["bob"]["id"], people["alice"]["id"])
    await create_group(scim, people["alice"]["id"])
    found = await look_up(scim, "/Groups", f'members[value eq "{people["bob"]["id"]}"]')
    assert [group["id"] for group in found["Resources"]] == [with_bob["id"]]


@cases(
    ('userName eq "bob@example.org"', {"bob"}),
    ('externalId eq "ext-Carol"', {"carol"}),
    ('emails[type eq "work"].value eq "DAVE@EXAMPLE.COM"', {"dave"}),
    ('userName eq "bob@example.org" and externalId eq "ext-Bob"', {"bob"}),
)
async def test_the_filters_entra_matches_with(scim, people, filter_, expected):
    """SCIM-NOTES §1.32: Entra matches on userName, externalId or the work email, with ``eq`` and ``and``."""
    assert await who(scim, filter_) == expected


@pytest.mark.parametrize("attribute", ["userName", "externalId", 'emails[type eq "work"].value', "id"])
async def test_no_match_is_an_empty_200_list(scim, people, attribute):
    """SCIM-NOTES §1.23 / RFC 7644 §3.4.2: "A query that does not return any matches SHALL return success
    (HTTP status code 200) with totalResults set to a value of 0" (Entra's Test Connection)."""
    found = await look_up(scim, "/Users", eq(attribute, str(uuid.uuid4())))
    assert (found["totalResults"], found["itemsPerPage"], found["Resources"]) == (0, 0, [])


async def test_no_group_match_is_an_empty_200_list(scim):
    """SCIM-NOTES §1.23 / RFC 7644 §3.4.2: the same for /Groups."""
    found = await look_up(scim, "/Groups", eq("displayName", str(uuid.uuid4())))
    assert (found["totalResults"], found["Resources"]) == (0, [])


@pytest.mark.parametrize("endpoint", ["/Users", "/Groups"])
@pytest.mark.parametrize("filter_", [
    "userName eq", 'userName xx "a"', '(userName eq "a"', 'userName eq "a" and', 'emails[type eq "work"',
    '"a" eq userName', 'userName eq "unterminated', 'not userName eq "a"', 'userName eq "a" or or',
])
async def test_malformed_filters_are_400_invalid_filter(scim, endpoint, filter_):
    """SCIM-NOTES §1.33 / RFC 7644 §3.4.2.2, §3.12: a filter that does not parse ⇒ 400 invalidFilter."""
    (await scim.get(endpoint, params={"filter": filter_})).expect_error(400, "invalidFilter")
