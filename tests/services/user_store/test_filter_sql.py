"""Filters compiled to SQL (RFC 7644 §3.4.2.2) select what ``matches`` selects in memory: on a real SQLite
file, and on a real PostgreSQL (its tables made once for the module: one database, one schema)."""

import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from user_store_support import postgres_users

from services.user_store.database import create_engine, create_schema, session_factory
from services.user_store.filter_sql import (
    FOLDS_INTO_ASCII,
    GROUP_TARGET,
    USER_TARGET,
    compile_filter,
    sort_key,
    text_hint,
)
from services.user_store.handlers import with_seat_state
from services.user_store.seat_state import SeatState
from services.user_store.tables import GroupRow, MembershipRow, UserRow
from shared.postgres import create_postgres_engine
from shared.scim.attributes import GROUP, USER
from shared.scim.errors import ScimError
from shared.scim.filter_match import matches
from shared.scim.filter_parser import parse_filter
from shared.scim.filter_values import format_datetime
from shared.settings import PostgresSchema, SqliteFile, StoreLocation

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
EXT = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"
LITERAL = """He said "hi", it's 100%_done"""


def work(value: str, **more) -> dict:
    return {"value": value, "type": "work", **more}


#: id -> (created, stored resource). Mixed case, missing and empty values, extensions, odd characters.
USERS: dict[str, tuple[datetime, dict]] = {
    "u01": (datetime(2024, 1, 1, tzinfo=UTC), {
        "userName": "alice@example.com", "externalId": "ext-1", "displayName": "Alice Smith", "active": True,
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "emails": [work("alice@example.com", primary=True), {"value": "alice@home.org", "type": "home"}],
        ENT: {"department": "Sales", "manager": {"value": "u05"}},
        EXT: {"products": ["Sales", "Engage"], "creditLimit": 100, "role": "User"}}),
    "u02": (datetime(2024, 2, 1, tzinfo=UTC), {
        "userName": "Bob@Example.COM", "externalId": "EXT-2", "title": "Engineer", "active": False,
        "name": {"givenName": "Bob", "familyName": "O'Malley"}, "emails": [work("BOB@EXAMPLE.COM")],
        ENT: {"department": "sales"}, EXT: {"products": ["Talent"], "creditLimit": 5}}),
    "u03": (datetime(2024, 3, 1, tzinfo=UTC), {
        "userName": "carol", "title": "", "active": True, "name": {"familyName": "smith"},
        "emails": [{"value": "carol@example.org", "type": "home", "primary": True}, work("carol@work.com")]}),
    "u04": (datetime(2024, 3, 15, tzinfo=UTC), {
        "userName": "dave", "displayName": "Dave", "title": "Engineering Manager", "emails": [],
        EXT: {"products": []}}),
    "u05": (datetime(2024, 4, 1, tzinfo=UTC), {
        "userName": "eve", "userType": "Employee", "active": True, "name": {"givenName": "Eve", "familyName": "Adams"},
        "emails": [{"value": "eve@example.com"}],
        ENT: {"department": "Engineering", "manager": {"value": "u01", "displayName": "Alice"}},
        EXT: {"creditLimit": 0, "products": ["ZI Chat", "ReachOut Lite"]}}),
    "u06": (datetime(2024, 5, 1, tzinfo=UTC), {
        "userName": "frank_100%", "displayName": LITERAL, "name": {"familyName": "Per%cent"},
        "emails": [work("frank_1@x.com")]}),
    "u07": (datetime(2023, 12, 31, 23, 59, 59, 500000, tzinfo=UTC), {
        "userName": "grace", "displayName": "Grace Hopper", "nickName": "Amazing Grace", "active": False,
        "emails": [work("grace@EXAMPLE.com", primary=False), work("g@other.com")],
        ENT: {"department": "Research", "costCenter": "CC-7"}}),
    "u08": (datetime(2024, 6, 1, tzinfo=UTC), {
        "userName": "heidi", "externalId": "ext-8", "userType": "Contractor", "title": "Contractor",
        "phoneNumbers": [{"value": "+1 555", "type": "mobile"}],
        EXT: {"role": "Admin", "creditLimit": 1000, "products": ["Sales"]}}),
    "u09": (datetime(2024, 6, 15, tzinfo=UTC), {
        "userName": "ivan", "active": True,
        "name": {"givenName": "Ivan", "familyName": "Ivanov", "formatted": "Ivan Ivanov"},
        "emails": [{"value": "ivan@example.com", "type": "other"}, {"type": "work"}]}),
    "u10": (datetime(2024, 7, 1, tzinfo=UTC), {
        "userName": "judy", "name": {}, "emails": [{}], ENT: {}, EXT: {"products": [""]}}),
    "u11": (datetime(2024, 7, 15, tzinfo=UTC), {
        "userName": "mallory", "title": "Zoë's boss", "displayName": "Zoë", "active": True, "locale": "de-DE"}),
    "u12": (datetime(2024, 8, 1, tzinfo=UTC), {
        "userName": "niaj", "emails": [work("niaj@example.com", primary=True)],
        ENT: {"department": "Engineering"},
        EXT: {"userCredit": "Limited", "creditLimit": 50}}),
    "u13": (datetime(2024, 8, 15, tzinfo=UTC), {
        "userName": "olivia", "x509Certificates": [{"value": "MIIBase64=="}],
        "roles": [{"value": "admin", "primary": True}]}),
    "u14": (datetime(2024, 9, 1, tzinfo=UTC), {
        "userName": "peggy", "displayName": "", "active": True, "name": {"familyName": "Smithson"},
        "emails": [work("peggy@example.com"), {"value": "Peggy@Example.com", "type": "home"}]}),
    "u15": (datetime(2024, 10, 1, tzinfo=UTC), {
        "userName": "trent", "userType": "employee",
        "addresses": [{"locality": "Berlin", "country": "DE", "type": "work"}]}),
    # Text SQLite's own lower() does not fold: Unicode letters, and two whose Python lower-casing
    # yields ASCII (KELVIN SIGN -> "k"; DOTTED CAPITAL I -> "i" + a combining dot).
    "u16": (datetime(2024, 10, 15, tzinfo=UTC), {
        "userName": "\u212aurt", "displayName": "\u212aelvin", "name": {"familyName": "MÜLLER"}}),
    "u17": (datetime(2024, 11, 1, tzinfo=UTC), {
        "userName": "ipek", "displayName": "İpek", "name": {"familyName": "Müller"}, "title": "Ärztin"}),
    # DOTTED CAPITAL I as the last letter a filter value matches, and no other "zi" in the stored text
    "u18": (datetime(2024, 11, 15, tzinfo=UTC), {"userName": "zed", "displayName": "Zİ"}),
}

#: What the seat allocator last said of some users: kept in the row's columns, rendered in the extension.
SEATS = {"u01": SeatState(True, "Sales Team"), "u05": SeatState(True), "u08": SeatState(True, "Sales Team"),
         "u10": SeatState(False, "Sales Team"), "u12": SeatState(True, "Ops", "Admin")}

#: Filters whose result is also written out, so the two evaluators cannot be wrong together.
EXPECTED = {
    'userName eq "ALICE@EXAMPLE.COM"': {"u01"},
    'userName co "_"': {"u06"},
    'externalId eq "ext-2"': set(),
    'name.familyName eq "smith"': {"u01", "u03"},
    'active eq false': {"u02", "u07"},
    'not (active eq true)': {"u02", "u04", "u06", "u07", "u08", "u10", "u12", "u13", "u15", "u16", "u17",
                             "u18"},
    'emails[type eq "work" and value co "@example.com"]': {"u01", "u02", "u07", "u12", "u14"},
    'emails[type eq "work"].value eq "bob@example.com"': {"u02"},
    'emails.type eq "work" and emails.value co "home"': {"u01"},
    'emails[type eq "work" and value co "home"]': set(),
    'emails[not (type eq "work")]': {"u01", "u03", "u05", "u09", "u10", "u14"},
    'emails.value ne "alice@example.com"': set(USERS) - {"u01"},
    f'{EXT}:products eq "sales"': {"u01", "u08"},
    f"{EXT}:products pr": {"u01", "u02", "u05", "u08"},
    f"{EXT}:creditLimit le 5": {"u02", "u05"},
    'meta.created lt "2024-01-01T02:00:00+02:00"': {"u07"},
    'title pr or userType eq "Employee" and active eq true': {"u02", "u04", "u05", "u08", "u11", "u17"},
    '(title pr or userType eq "Employee") and active eq true': {"u05", "u11"},
    'name.familyName sw "%"': set(),
    'name pr': {"u01", "u02", "u03", "u05", "u06", "u09", "u14", "u16", "u17"},
    'name.familyName eq "müller"': {"u16", "u17"},  # MÜLLER too: folded as Python folds, not ASCII only
    'displayName sw "k"': {"u16"},  # KELVIN SIGN lower-cases to an ASCII k
    # the seat state, read from the row's columns as the handler renders it (never in the stored resource)
    f"{EXT}:scimActive eq true": set(USERS) - {"u02", "u07"},
    f"{EXT}:platformActive eq true": {"u01", "u05", "u08", "u12"},
    f'{EXT}:subscriptionSet eq "sales TEAM"': {"u01", "u08", "u10"},
    f'{EXT}:effectiveRole eq "admin"': {"u08", "u12"},  # heidi's own role, the Ops set's role
}

DIFFERENTIAL = [
    *EXPECTED,
    'userName eq "bob@example.com"', 'userName sw "A"', 'userName co "example"', 'userName gt "m" and userName lt "p"',
    'externalId eq "ext-1"', "externalId pr", "not (externalId pr)", 'id eq "u03"', 'id eq "U03"',
    'displayName eq "alice smith"', 'displayName gt "D"', "displayName pr", 'name.familyName sw "smith"',
    "name.familyName co \"'\"", "name.givenName pr", "title pr", 'title eq ""', 'title eq "zoë\'s boss"',
    'title ne "Engineer"', "active eq true", 'active ne true', "active eq null", "nickName ne null", "emails pr",
    'emails co "EXAMPLE.COM"', 'emails.value ew ".COM"', "emails eq null", 'emails[primary eq true].value co "example"',
    'emails[type eq "work" and not (value pr)]', "emails[value pr]", 'emails.primary eq false',
    f'{ENT}:department eq "sales"', f'{ENT}:manager.value eq "u05"', f'{ENT}:manager eq "U01"',
    f"{ENT}:department pr", f"{ENT}:manager pr", f'{ENT}:manager[value eq "u01"]', f'not ({EXT}:products eq "Sales")',
    f"{EXT}:creditLimit gt 10", f"{EXT}:creditLimit eq 0", f"{EXT}:creditLimit ne 0", f"{EXT}:scimActive eq false",
    f"not ({EXT}:scimActive eq true)", f"{EXT}:platformActive eq false", f"{EXT}:platformActive pr",
    f"{EXT}:subscriptionSet pr", f'{EXT}:subscriptionSet sw "s"', f"{EXT}:effectiveRole pr",
    f'{EXT}:effectiveRole eq "User"', f'not ({EXT}:effectiveRole eq "User")',
    f'{EXT}:role eq "admin"', 'meta.created ge "2024-06-01T00:00:00Z"', 'meta.lastModified gt "2024-10-01T00:00:00Z"',
    'meta.created eq "2023-12-31T23:59:59.5Z"', 'meta.resourceType eq "User"', 'meta.resourceType eq "Group"',
    "meta.resourceType pr", 'userType eq "employee"', 'x509Certificates.value eq "MIIBase64=="',
    'x509Certificates.value eq "miibase64=="', 'roles[primary eq true and value eq "ADMIN"]',
    'phoneNumbers.type eq "mobile"', 'addresses[locality eq "berlin"]', 'nickName ew "grace"',
    'not (name.familyName eq "smith") and emails pr', 'phoneNumbers[type eq "mobile"] or ims pr',
    'name.familyName eq "müller"', 'name.familyName eq "MÜLLER"', 'displayName eq "kelvin"', 'displayName sw "k"',
    'displayName sw "i"', 'displayName co "pek"', 'title ew "ZTIN"', 'userName eq "kurt"', 'userName sw "\u212a"',
    # the LIKE on the stored text before the JSON is read (text_hint): folded letters, wildcards, lists
    'displayName co "KE"', 'displayName ew "ELVIN"', 'displayName co "zi"', 'displayName ew "I"', 'displayName eq "KELVIN"',
    'displayName sw "IP"',
    'displayName co "ipe"', 'name.familyName co "ll"', 'name.familyName ew "%"', 'name.familyName co "_"',
    'title co "\'s b"', 'title eq "ZOË\'S BOSS"', 'emails.value co "PEGGY@"', 'emails.value eq "G@OTHER.COM"',
    'nickName co "ing gr"', 'x509Certificates.value co "base64"', f'{ENT}:costCenter eq "cc-7"',
    'emails[type eq "home" and value co "PEGGY"]', 'emails[type eq "work"].value eq "GRACE@example.com"',
    'emails[value co "zz" or type eq "other"]', 'not (emails[type eq "work" and value sw "bob"])',
]


def rendered(user_id: str) -> dict:
    """The resource as GET renders it: stored attributes plus id, meta and the seat state."""
    created, resource = USERS[user_id]
    meta = {"resourceType": "User", "created": format_datetime(created),
            "lastModified": format_datetime(created + timedelta(days=1))}
    return with_seat_state({**resource, "id": user_id, "meta": meta}, SEATS.get(user_id, SeatState()))


def stored_row(user_id: str) -> UserRow:
    created, resource = USERS[user_id]
    row = UserRow(id=user_id, tenant_id="t1", user_name=resource["userName"],
                  user_name_key=resource["userName"].lower(), external_id=resource.get("externalId"),
                  resource=resource, created=created, last_modified=created + timedelta(days=1))
    SEATS.get(user_id, SeatState()).write_on(row)
    return row


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request, tmp_path_factory) -> Iterator[StoreLocation]:
    """Where the users are: a SQLite file, or a schema of a PostgreSQL database made once for the module
    (a database for each of the hundreds of cases would take minutes)."""
    if request.param == "sqlite":
        yield SqliteFile(tmp_path_factory.mktemp("filters") / "users.sqlite3")
        return
    with postgres_users(request.getfixturevalue("postgres_server"),
                        [stored_row(user_id).model_dump() for user_id in USERS]) as location:
        yield location


@pytest.fixture
async def session(backend) -> AsyncIterator[AsyncSession]:
    if isinstance(backend, PostgresSchema):
        engine = create_postgres_engine(backend)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            yield session
        await engine.dispose()
        return
    database = create_engine(backend.path)
    await create_schema(database)
    async with session_factory(database)() as session:
        if not await session.get(UserRow, "u01"):
            session.add_all(stored_row(user_id) for user_id in USERS)
            await session.commit()
        yield session
    await database.dispose()


async def selected(session: AsyncSession, text: str) -> set[str]:
    condition = compile_filter(parse_filter(text, USER), USER, USER_TARGET)
    return set((await session.exec(select(col(UserRow.id)).where(condition))).all())


def oracle(text: str) -> set[str]:
    node = parse_filter(text, USER)
    return {user_id for user_id in USERS if matches(node, rendered(user_id), USER)}


@pytest.mark.parametrize("text", DIFFERENTIAL)
async def test_sql_selects_what_the_in_memory_evaluator_selects(session, text):
    assert await selected(session, text) == oracle(text)


@pytest.mark.parametrize(("text", "expected"), EXPECTED.items(), ids=list(EXPECTED))
async def test_known_results(session, text, expected):
    assert await selected(session, text) == oracle(text) == expected


async def test_values_match_literally_and_are_bound_not_spliced(session):
    """``%`` and ``_`` are not wildcards, quotes do not end anything: values are bound parameters."""
    quoted = LITERAL.replace('"', '\\"')
    for text in (f'displayName eq "{quoted}"', 'displayName co "100%_"', 'displayName co "\\"hi\\", it\'s"',
                 'displayName ew "%_done"', 'displayName sw "He said \\""', 'userName eq "FRANK_100%"'):
        assert await selected(session, text) == {"u06"}, text
    for text in ('displayName co "100%%"', 'displayName co "0_"', 'userName sw "_"', 'userName ew "_"'):
        assert await selected(session, text) == set(), text
    hostile = "x' OR 1=1; DROP TABLE users; --"
    statement = select(col(UserRow.id)).where(compile_filter(parse_filter(f'title eq "{hostile}"', USER), USER,
                                                             USER_TARGET))
    assert hostile.lower() not in str(statement).lower()
    assert await selected(session, f'title eq "{hostile}"') == set()


async def test_stored_values_of_the_wrong_type_match_nothing_in_both(session):
    session.add(UserRow(id="odd", tenant_id="t1", user_name="odd", user_name_key="odd", resource={
        "userName": "odd", "title": 5, "active": "true", "emails": ["not-an-object"], EXT: {"creditLimit": "100"}},
        created=datetime(2025, 1, 1, tzinfo=UTC), last_modified=datetime(2025, 1, 1, tzinfo=UTC)))
    await session.commit()
    try:
        for text in ('title eq "5"', "title pr", "active eq true", f"{EXT}:creditLimit gt 1", 'emails.value pr'):
            condition = compile_filter(parse_filter(text, USER), USER, USER_TARGET)
            odd = (await session.exec(select(col(UserRow.id)).where(condition, col(UserRow.id) == "odd"))).all()
            stored = (await session.get(UserRow, "odd")).resource
            assert bool(odd) is matches(parse_filter(text, USER), stored, USER), text
    finally:
        await session.delete(await session.get(UserRow, "odd"))
        await session.commit()


@pytest.mark.parametrize("text", ['meta.location eq "x"', "meta.version pr", "meta pr"])
def test_what_the_row_does_not_hold_is_invalid_filter(text):
    with pytest.raises(ScimError) as raised:
        compile_filter(parse_filter(text, USER), USER, USER_TARGET)
    assert raised.value.scim_type == "invalidFilter"


async def ordered(session: AsyncSession, text: str, descending: bool = False) -> list[str]:
    key = sort_key(USER.resolve(text), USER, USER_TARGET)
    order = key.desc() if descending else key.asc()
    rows = await session.exec(select(col(UserRow.id)).order_by(order.nulls_last(), col(UserRow.id)))
    return list(rows.all())


async def test_sort_keys(session):
    """RFC 7644 §3.4.2.3: case-insensitive unless caseExact; multi-valued by the primary value, else the first."""
    assert (await ordered(session, "userName"))[:3] == ["u01", "u02", "u03"]  # alice, Bob, carol
    assert (await ordered(session, "name.familyName"))[:7] == ["u05", "u09", "u16", "u17", "u02", "u06", "u01"]
    assert (await ordered(session, "name.familyName"))[-2:] == ["u15", "u18"]  # missing sorts last
    assert (await ordered(session, "emails"))[:4] == ["u01", "u02", "u03", "u05"]  # carol's primary is carol@...
    assert (await ordered(session, "emails", descending=True))[:2] == ["u14", "u12"]
    assert (await ordered(session, f"{EXT}:products"))[:3] == ["u10", "u01", "u08"]  # "", Sales, Sales
    assert (await ordered(session, "meta.created"))[0] == "u07"
    assert (await ordered(session, f"{EXT}:effectiveRole"))[:5] == ["u08", "u12", "u01", "u10", "u02"]
    assert (await ordered(session, f"{EXT}:platformActive", descending=True))[:4] == ["u01", "u05", "u08", "u12"]


#: id -> (displayName, member ids). Members live in ``memberships``, not in the group's resource.
GROUPS = {"g1": ("Sales Team", ["u01", "u02"]), "g2": ("Engineering", ["u05"]), "g3": ("Empty", [])}
GROUP_FILTERS = {
    'members[value eq "u01"]': {"g1"},
    'members.value eq "U05"': {"g2"},  # members.value is not caseExact (RFC 7643 §8.7.1)
    "members pr": {"g1", "g2"},
    "not (members pr)": {"g3"},
    'members[display co "alice"]': {"g1"},
    'members[type eq "User" and value eq "u02"] and displayName sw "sales"': {"g1"},
    'displayName eq "SALES team"': {"g1"},  # Entra's group lookup (SCIM-NOTES §3)
    'meta.resourceType eq "User"': set(),
}
MEMBER_FILTERS = {
    'groups[value eq "g1"]': {"u01", "u02"},
    'groups.display eq "engineering"': {"u05"},
    "groups pr": {"u01", "u02", "u05"},
    'groups.type eq "direct" and active eq true': {"u01", "u05"},
}


def rendered_group(group_id: str) -> dict:
    """A group as GET renders it: members from the memberships, displayed by displayName or userName."""
    name, member_ids = GROUPS[group_id]
    members = [{"value": user_id, "type": "User", "display": USERS[user_id][1].get("displayName")
                or USERS[user_id][1]["userName"]} for user_id in member_ids]
    return {"displayName": name, "id": group_id, "meta": {"resourceType": "Group"}} | (
        {"members": members} if members else {})


def rendered_member(user_id: str) -> dict:
    groups = [{"value": group_id, "display": name, "type": "direct"}
              for group_id, (name, member_ids) in GROUPS.items() if user_id in member_ids]
    return rendered(user_id) | ({"groups": groups} if groups else {})


@pytest.fixture
async def groups(session) -> AsyncIterator[None]:
    created = datetime(2024, 1, 1, tzinfo=UTC)
    session.add_all(GroupRow(id=group_id, tenant_id="t1", display_name=name, display_name_key=name.lower(),
                             resource={"displayName": name}, created=created, last_modified=created)
                    for group_id, (name, _) in GROUPS.items())
    session.add_all(MembershipRow(group_id=group_id, member_id=user_id)
                    for group_id, (_, member_ids) in GROUPS.items() for user_id in member_ids)
    await session.commit()
    yield
    await session.exec(delete(MembershipRow))
    await session.exec(delete(GroupRow))
    await session.commit()


@pytest.mark.parametrize(("text", "expected"), GROUP_FILTERS.items(), ids=list(GROUP_FILTERS))
async def test_group_filters_read_members_from_memberships(session, groups, text, expected):
    """RFC 7644 §3.4.2.2 ``members[value eq "id"]`` finds the groups of a member (SCIM-NOTES §1.31)."""
    node = parse_filter(text, GROUP)
    found = await session.exec(select(col(GroupRow.id)).where(compile_filter(node, GROUP, GROUP_TARGET)))
    in_memory = {group_id for group_id in GROUPS if matches(node, rendered_group(group_id), GROUP)}
    assert set(found.all()) == in_memory == expected


@pytest.mark.parametrize(("text", "expected"), MEMBER_FILTERS.items(), ids=list(MEMBER_FILTERS))
async def test_user_groups_are_read_from_memberships(session, groups, text, expected):
    """RFC 7643 §4.1.2: a user's ``groups`` are its direct memberships."""
    node = parse_filter(text, USER)
    assert await selected(session, text) == expected
    assert {user_id for user_id in USERS if matches(node, rendered_member(user_id), USER)} == expected


def test_members_cannot_be_sorted_on():
    for path, schema, target in ((USER.resolve("groups.display"), USER, USER_TARGET),
                                 (GROUP.resolve("members"), GROUP, GROUP_TARGET)):
        with pytest.raises(ScimError):
            sort_key(path, schema, target)


def test_only_two_non_ascii_letters_lower_case_into_ascii():
    """text_hint relies on it: every other letter folds to non-ASCII, so LIKE's ASCII folding suffices."""
    folding = {chr(code) for code in range(0x80, sys.maxunicode + 1) if any(c < "\x80" for c in chr(code).lower())}
    assert folding == set(FOLDS_INTO_ASCII.values())


@pytest.mark.parametrize(("value", "folds", "pattern"), [
    ("Smith", True, "%Sm_th%"), ("Smith", False, "%Smith%"), ("Fam3", True, "%Fam3%"),
    ("50%_off", True, r"%50\%\_off%"), ("Zoë", True, None), ('say "hi"', True, None), ("a\\b", True, None),
    ("", True, None), ("tab\there", True, None),
])
def test_text_hints(value, folds, pattern):
    assert text_hint(value, folds) == pattern


@pytest.mark.parametrize(("text", "hint"), [
    ('name.familyName eq "Fam3"', "%Fam3%"),
    ('emails[type eq "work"].value eq "ann@example.com"', "%ann@example.com%"),  # Entra's e-mail match
])
def test_a_filter_on_a_json_attribute_scans_the_stored_text_before_reading_the_json(text, hint):
    condition = compile_filter(parse_filter(text, USER), USER, USER_TARGET)
    sql = str(condition.compile(compile_kwargs={"literal_binds": True}))
    assert sql.index(f"LIKE '{hint}'") < sql.index("json_")
