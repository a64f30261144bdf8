"""Validating and rendering User resources (RFC 7643 §4.1, RFC 7644 §3.3)."""

from datetime import UTC, datetime

import pytest

from contracts.users.v1 import UserRecord
from services.gateway.scim.resources import render
from services.gateway.scim.users import parse_user
from shared.scim.attributes import USER
from shared.scim.errors import ScimError
from shared.scim.schemas import USER_SCHEMA

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_read_only_and_write_only_attributes_are_dropped():
    """id/meta/groups are readOnly (ignored); password is writeOnly, returned never (RFC 7643 §4.1.1)."""
    resource = parse_user({"userName": "a", "id": "client-id", "meta": {}, "groups": [], "password": "pw"})
    assert not {"id", "meta", "groups", "password"} & resource.keys()


def test_nulls_mean_unset():
    """Entra sends "title": null, "manager": null on create."""
    assert "title" not in parse_user({"userName": "a", "title": None})


@pytest.mark.parametrize(("sent", "stored"), [(True, True), ("False", False), ("true", True), (None, True)])
def test_active_accepts_booleans_and_entra_strings_defaulting_to_true(sent, stored):
    body = {"userName": "a"} if sent is None else {"userName": "a", "active": sent}
    assert parse_user(body)["active"] is stored


def test_schemas_list_core_and_present_extensions():
    resource = parse_user({"schemas": [USER_SCHEMA], "userName": "a", ENTERPRISE: {"employeeNumber": "1"}})
    assert resource["schemas"] == [USER_SCHEMA, ENTERPRISE]


@pytest.mark.parametrize(("body", "scim_type"), [
    ([], "invalidSyntax"),
    ({"name": {"givenName": "x"}}, "invalidValue"),
    ({"userName": "  "}, "invalidValue"),
    ({"userName": 7}, "invalidValue"),
    ({"userName": "a", "active": "maybe"}, "invalidValue"),
    ({"userName": "a", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}, "invalidValue"),
])
def test_invalid_bodies_are_400(body, scim_type):
    with pytest.raises(ScimError) as raised:
        parse_user(body)
    assert (raised.value.status, raised.value.scim_type) == (400, scim_type)


def test_render_adds_id_and_meta():
    when = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    record = UserRecord(id="u1", resource={"userName": "a"}, created=when, last_modified=when, version=3)
    rendered = render(record, USER, "https://x.test/scim/v2")
    assert rendered["id"] == "u1"
    assert rendered["meta"] == {
        "resourceType": "User", "created": "2026-11-23T09:00:00Z", "lastModified": "2026-11-23T09:00:00Z",
        "location": "https://x.test/scim/v2/Users/u1", "version": 'W/"3"',
    }
