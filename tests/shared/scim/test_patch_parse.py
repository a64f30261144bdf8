"""Validating PatchOp request bodies into operations on resolved paths (RFC 7644 §3.5.2)."""

import pytest

from contracts.filters import AttributePath, Comparison
from shared.scim.attributes import GROUP, USER
from shared.scim.errors import ScimError
from shared.scim.patch_parse import (
    PATCH_OP,
    PatchOperation,
    PatchPath,
    parse_patch,
    parse_path,
)
from shared.scim.schemas import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA


def body(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def core(name: str, sub: str | None = None, urn: str = USER_SCHEMA) -> AttributePath:
    return AttributePath(urn=urn, name=name, sub=sub)


def scim_error(call, *args) -> ScimError:
    with pytest.raises(ScimError) as caught:
        call(*args)
    assert caught.value.status == 400
    return caught.value


@pytest.mark.parametrize("request_body", [
    [],
    {"Operations": [{"op": "add", "path": "title", "value": "x"}]},
    {"schemas": [USER_SCHEMA], "Operations": [{"op": "add", "path": "title", "value": "x"}]},
    {"schemas": [PATCH_OP], "Operations": []},
    {"schemas": [PATCH_OP], "Operations": {"op": "add"}},
    body("add"),
    body({"op": "move", "path": "title", "value": "x"}),
    body({"op": "add", "path": "title"}),
], ids=["not-object", "no-schemas", "wrong-schema", "no-operations", "operations-not-list",
        "operation-not-object", "unknown-op", "add-without-value"])
def test_malformed_bodies_are_invalid_syntax(request_body):
    """RFC 7644 §3.5.2: a PatchOp with "schemas" and a non-empty "Operations" list; §3.12 invalidSyntax."""
    assert scim_error(parse_patch, request_body, USER).scim_type == "invalidSyntax"


def test_entra_capitalised_ops_and_member_names_are_accepted():
    """Entra sends "Add"/"Replace"/"Remove": "Don't require a case-sensitive match on structural elements"."""
    request_body = {"SCHEMAS": [PATCH_OP.upper()], "operations": [
        {"op": "Add", "path": "title", "value": "t"},
        {"OP": "Replace", "Path": "nickName", "Value": "n"},
        {"op": "Remove", "path": "locale"},
    ]}
    assert [(o.op, o.path.attribute.name) for o in parse_patch(request_body, USER)] == [
        ("add", "title"), ("replace", "nickName"), ("remove", "locale")]


def test_remove_without_path_is_no_target():
    """RFC 7644 §3.5.2.2: "If "path" is unspecified, the operation fails with HTTP status code 400 and a
    "scimType" error code of "noTarget"."""
    assert scim_error(parse_patch, body({"op": "remove"}), USER).scim_type == "noTarget"


@pytest.mark.parametrize(("text", "expected"), [
    ("userName", PatchPath(core("userName"))),
    ("NAME.givenname", PatchPath(core("name", "givenName"))),
    (f"{ENTERPRISE_SCHEMA}:manager", PatchPath(core("manager", urn=ENTERPRISE_SCHEMA))),
    (f"{USER_SCHEMA}:name.familyName", PatchPath(core("name", "familyName"))),
    ("manager", PatchPath(core("manager", urn=ENTERPRISE_SCHEMA))),
    ("Department", PatchPath(core("department", urn=ENTERPRISE_SCHEMA))),
])
def test_attribute_paths_resolve_to_canonical_names(text, expected):
    """RFC 7644 §3.5.2: ``attrPath = [URI ":"] ATTRNAME *1subAttr``; names are case-insensitive (RFC 7643 §2.1).
    Entra names the enterprise "manager" without its URN: an extension attribute no other schema has resolves."""
    assert parse_path(text, USER) == expected


def test_value_path_with_sub_attribute():
    """RFC 7644 §3.5.2: ``valuePath [subAttr]``, e.g. Entra's ``emails[type eq "work"].value``."""
    path = parse_path('emails[type eq "work"].value', USER)
    assert path.attribute == core("emails", "value")
    assert path.filter == Comparison(path=core("emails", "type"), op="eq", value="work")


def test_value_path_without_sub_attribute():
    path = parse_path('members[value eq "2819c223"]', GROUP)
    assert path.attribute == core("members", urn=GROUP_SCHEMA)
    assert path.filter == Comparison(path=core("members", "value", GROUP_SCHEMA), op="eq", value="2819c223")


@pytest.mark.parametrize("text", ["nosuch", "name.nosuch", "emails.value.x", f"{ENTERPRISE_SCHEMA}:nosuch",
                                  'name.givenName[value eq "x"]', 'emails[type eq "work"',
                                  'emails[type eq "work"]value', 'emails[type eq "work"].nosuch', "schemas"])
def test_unknown_or_malformed_paths_are_invalid_path(text):
    """RFC 7644 §3.12 invalidPath: "The "path" attribute was invalid or malformed"."""
    assert scim_error(parse_patch, body({"op": "replace", "path": text, "value": "x"}), USER).scim_type == \
        "invalidPath"


def test_bad_filter_in_a_value_path_is_invalid_filter():
    operation = {"op": "remove", "path": 'emails[type zz "work"]'}
    assert scim_error(parse_patch, body(operation), USER).scim_type == "invalidFilter"


def test_path_less_value_must_be_an_object():
    """RFC 7644 §3.5.2.1: without a path, "value" is the set of attributes to add."""
    assert scim_error(parse_patch, body({"op": "add", "value": "x"}), USER).scim_type == "invalidValue"


def test_path_less_value_is_spread_into_one_operation_per_attribute():
    """Entra (aadOptscim062020): dotted keys and URN-qualified keys address attributes, not literal names."""
    value = {"displayName": "D", "name.givenName": "G", f"{ENTERPRISE_SCHEMA}:employeeNumber": "7",
             ENTERPRISE_SCHEMA: {"department": "Sales"}, "schemas": [USER_SCHEMA]}
    assert parse_patch(body({"op": "replace", "value": value}), USER) == [
        PatchOperation("replace", PatchPath(core("displayName")), "D"),
        PatchOperation("replace", PatchPath(core("name", "givenName")), "G"),
        PatchOperation("replace", PatchPath(core("employeeNumber", urn=ENTERPRISE_SCHEMA)), "7"),
        PatchOperation("replace", PatchPath(core("department", urn=ENTERPRISE_SCHEMA)), "Sales"),
    ]


def test_unknown_key_in_a_path_less_value_is_invalid_path():
    """A key of a path-less value is a path (Entra's "name.givenName"): unknown ones are refused, as with a path."""
    assert scim_error(parse_patch, body({"op": "replace", "value": {"nosuch": 1}}), USER).scim_type == \
        "invalidPath"


def test_values_are_brought_to_their_stored_form():
    """Canonical sub-attribute names, Entra's "True" as a boolean, nulls and readOnly sub-attributes dropped."""
    operations = parse_patch(body(
        {"op": "add", "path": "emails", "value": [{"Value": "a@x", "Primary": "True", "display": None}]},
        {"op": "add", "path": f"{ENTERPRISE_SCHEMA}:manager", "value": {"value": "m", "displayName": "ro"}},
    ), USER)
    assert [o.value for o in operations] == [[{"value": "a@x", "primary": True}], {"value": "m"}]


@pytest.mark.parametrize("op", ["add", "replace"])
def test_schemas_in_the_value_of_an_extension_urn_path_is_ignored(op):
    """Generic clients copy the whole extension object, ``schemas`` and all, as the value of a path naming the
    extension (RFC 7644 §3.5.2.1, §3.5.2.3); the server keeps ``schemas`` itself (RFC 7643 §3)."""
    value = {"schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA], "employeeNumber": "7"}
    assert parse_patch(body({"op": op, "path": ENTERPRISE_SCHEMA, "value": value}), USER) == [
        PatchOperation(op, PatchPath(core("employeeNumber", urn=ENTERPRISE_SCHEMA)), "7")]
    assert parse_patch(body({"op": op, "value": {ENTERPRISE_SCHEMA: value}}), USER) == [
        PatchOperation(op, PatchPath(core("employeeNumber", urn=ENTERPRISE_SCHEMA)), "7")]
