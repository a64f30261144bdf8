"""Hypothesis strategies for SCIM calls as IdPs send them and as they get them wrong: resource bodies
(users, groups), filters, PATCH operations and headers. Mostly near-valid (so calls get past the
first check), with random JSON and text mixed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
VENDOR = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: Any = None
    data: bytes | None = None  # a raw body instead of JSON
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


# --- values ---------------------------------------------------------------------------------------

short_text = st.text(max_size=12)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False), short_text)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(short_text, inner, max_size=3)), max_leaves=8)
booleanish = st.one_of(st.booleans(), st.sampled_from(["True", "False", "true", "yes", ""]), json_values)
names = st.one_of(st.emails(), st.text(min_size=1, max_size=30), json_values)

ATTRIBUTES = ["userName", "UserName", "name.givenName", "name.familyName", "displayName", "emails", "emails.value",
              "emails.type", "emails.primary", 'emails[type eq "work"].value', "active", "externalId", "id", "title",
              "meta.created", "meta.lastModified", "meta.resourceType", "members", "members.value", "phoneNumbers",
              "roles", 'roles[primary eq "True"].value', f"{ENTERPRISE}:employeeNumber", f"{ENTERPRISE}:manager",
              f"{VENDOR}:products", f"{VENDOR}:role", "scimActive", "platformActive", "subscriptionSet",
              "effectiveRole", "nosuch", "name", "meta", "x.y.z", ""]
attribute_paths = st.one_of(st.sampled_from(ATTRIBUTES), st.text(max_size=20))

# --- filters (RFC 7644 §3.4.2.2) ------------------------------------------------------------------

OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Sw", "xx"]
literals = st.one_of(
    st.text(max_size=15).map(lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.integers(-10**20, 10**20).map(str), st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["true", "false", "null", "True", "2015-10-10T14:38:21.8617979-07:00", "jyoung",
                     "example.com", "'single'", '"unterminated', "x@y.z", "John Smith"]),
    st.text(alphabet=st.characters(exclude_characters=' ()[]"'), min_size=1, max_size=10))
comparisons = st.one_of(
    st.builds(lambda a, op, v: f"{a} {op} {v}", attribute_paths, st.sampled_from(OPERATORS), literals),
    attribute_paths.map(lambda a: f"{a} pr"))
filters = st.one_of(st.recursive(comparisons, lambda inner: st.one_of(
    st.builds(lambda a, b, joint: f"{a} {joint} {b}", inner, inner, st.sampled_from(["and", "or", "AND", "or not"])),
    inner.map(lambda f: f"({f})"), inner.map(lambda f: f"not ({f})"),
    st.builds(lambda a, f: f"{a}[{f}]", attribute_paths, inner)), max_leaves=6), st.text(max_size=40))

listing_params = st.fixed_dictionaries({}, optional={
    "filter": filters, "startIndex": st.one_of(st.integers(-5, 10**12).map(str), short_text),
    "count": st.one_of(st.integers(-5, 10**6).map(str), short_text), "sortBy": attribute_paths,
    "sortOrder": st.sampled_from(["ascending", "descending", "sideways", ""]),
    "attributes": attribute_paths, "excludedAttributes": attribute_paths})

# --- resources (RFC 7643 §4) ----------------------------------------------------------------------


def mostly(good: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """Three draws in four from ``good``: calls get past the first check and reach the services."""
    return st.one_of(good, good, good, odd)


user_names = st.one_of(st.emails(), st.text(min_size=1, max_size=30))
emails = st.lists(st.fixed_dictionaries({"value": user_names}, optional={
    "type": st.sampled_from(["work", "home", "other"]), "primary": st.one_of(st.booleans(), st.just("True")),
    "display": short_text}), max_size=3)
enterprise = st.fixed_dictionaries({}, optional={
    "employeeNumber": short_text, "department": short_text,
    "manager": st.one_of(short_text, st.fixed_dictionaries({"value": short_text}))})
vendor = st.fixed_dictionaries({}, optional={
    "products": st.lists(short_text, max_size=3), "role": st.sampled_from(["User", "Admin"]),
    "userCredit": st.sampled_from(["Limited", "Unlimited"]), "creditLimit": st.integers(0, 10**6),
    "resetUsage": st.sampled_from(["Monthly", "Quarterly", "Yearly", "Never"])})
#: Every attribute of the right type (values still anything the type allows).
sound_users = st.fixed_dictionaries(
    {"schemas": st.sampled_from([[USER], [USER, ENTERPRISE], [USER, ENTERPRISE, VENDOR]]), "userName": user_names},
    optional={"name": st.fixed_dictionaries({}, optional={"givenName": short_text, "familyName": short_text,
                                                          "formatted": short_text}),
              "emails": emails, "active": st.one_of(st.booleans(), st.sampled_from(["True", "False"])),
              "externalId": short_text, "displayName": short_text, "title": short_text,
              "phoneNumbers": st.lists(st.fixed_dictionaries({"value": short_text}), max_size=2),
              ENTERPRISE: enterprise, VENDOR: vendor})
#: Any attribute may be of the wrong type, unknown, or read-only.
odd_users = st.builds(lambda known, extra: {**extra, **known}, st.fixed_dictionaries(
    {"schemas": st.one_of(st.just([USER]), st.lists(short_text, max_size=2)), "userName": names},
    optional={"name": json_values, "emails": st.one_of(emails, json_values), "active": booleanish,
              "externalId": names, "id": short_text, "meta": json_values, "password": short_text,
              ENTERPRISE: st.one_of(enterprise, json_values), VENDOR: st.one_of(vendor, json_values),
              "groups": json_values}),
    st.dictionaries(short_text, json_values, max_size=2))
user_bodies = mostly(sound_users, odd_users)


def group_bodies(member_ids: st.SearchStrategy[str]) -> st.SearchStrategy[dict]:
    members = st.lists(st.fixed_dictionaries({"value": member_ids}, optional={"display": short_text}), max_size=4)
    sound = st.fixed_dictionaries({"schemas": st.just([GROUP]), "displayName": st.text(min_size=1, max_size=30)},
                                  optional={"members": members, "externalId": short_text})
    odd = st.fixed_dictionaries(
        {"schemas": st.one_of(st.just([GROUP]), st.lists(short_text, max_size=2)), "displayName": names},
        optional={"members": st.one_of(members, json_values), "externalId": names, "id": short_text})
    return mostly(sound, odd)


# --- PATCH (RFC 7644 §3.5.2) ----------------------------------------------------------------------

PATCHABLE = ["userName", "name.givenName", "name.familyName", "displayName", "emails", "active", "externalId",
             "title", 'emails[type eq "work"].value', "members", f"{ENTERPRISE}:employeeNumber",
             f"{ENTERPRISE}:manager", f"{VENDOR}:products", f"{VENDOR}:role", "name", ENTERPRISE]
patch_paths = st.one_of(st.sampled_from(PATCHABLE), st.sampled_from(PATCHABLE), attribute_paths,
                        filters.map(lambda f: f"emails[{f}].value"), filters.map(lambda f: f"members[{f}]"))
patch_values = st.one_of(short_text, st.booleans(), st.sampled_from(["True", "False"]), emails, sound_users,
                         st.lists(st.fixed_dictionaries({"value": short_text}), max_size=3), json_values)
sound_operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "replace", "remove", "Replace"])},
    optional={"path": patch_paths, "value": patch_values})
odd_operations = st.fixed_dictionaries(
    {"op": st.one_of(st.sampled_from(["move", "", "REMOVE"]), json_values)},
    optional={"path": st.one_of(patch_paths, json_values), "value": json_values})
patch_bodies = mostly(
    st.fixed_dictionaries({"schemas": st.just([PATCH_OP]),
                           "Operations": st.lists(mostly(sound_operations, odd_operations), min_size=1, max_size=4)}),
    st.one_of(st.fixed_dictionaries({"schemas": st.lists(short_text, max_size=2), "Operations": json_values}),
              json_values))

# --- headers --------------------------------------------------------------------------------------

header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                             exclude_characters="\x7f"), max_size=40)
headers = st.fixed_dictionaries({}, optional={
    "Content-Type": st.one_of(st.sampled_from(["application/scim+json", "application/json", "text/plain",
                                                "application/scim+json; charset=latin-1", "multipart/form-data",
                                                ""]), header_text),
    "Accept": st.one_of(st.sampled_from(["application/scim+json", "text/html", "*/*"]), header_text),
    "If-Match": st.one_of(st.sampled_from(['W/"1"', '"x"', "*", 'W/""']), header_text),
    "If-None-Match": st.one_of(st.sampled_from(['W/"1"', "*"]), header_text),
    "X-Request-Id": header_text, "Accept-Language": header_text, "Content-Encoding": header_text})


def resource_id(known: str) -> st.SearchStrategy[str]:
    """The one known resource's id mostly, else made-up text (quoted, so it stays one path segment)."""
    return st.one_of(st.just(known), st.just(known), st.text(min_size=1, max_size=40).map(lambda t: quote(t, safe="")))


def raw_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=64), st.sampled_from([b"", b"{", b"[]", b"null", b'{"schemas": 1}']))
