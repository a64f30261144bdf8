"""The vendor extension's pure reads and the admin-managed attributes (shared/scim/vendor.py)."""

import pytest

from shared.scim.attributes import USER
from shared.scim.patch import apply_patch, parse_patch
from shared.scim.schemas import EXTENSION_SCHEMA, USER_SCHEMA
from shared.scim.vendor import (
    effective_role,
    extension_patch,
    primary_email,
    with_admin_managed,
)

STORED = {"schemas": [USER_SCHEMA, EXTENSION_SCHEMA], "userName": "ann",
          EXTENSION_SCHEMA: {"role": "Admin", "userCredit": "Limited", "creditLimit": 5, "resetUsage": "Never",
                             "products": ["Sales"]}}


@pytest.mark.parametrize(("emails", "expected"), [
    ([{"value": "a@x"}, {"value": "b@x", "primary": True}], "b@x"),  # RFC 7643 §2.4 primary
    ([{"type": "work"}, {"value": "a@x"}, {"value": "b@x"}], "a@x"),  # else the first with a value
    ([], None),
    (None, None),
])
def test_the_primary_email_else_the_first(emails, expected):
    assert primary_email({"userName": "ann", "emails": emails}) == expected


@pytest.mark.parametrize(("extension", "expected"), [
    ({"effectiveRole": "Admin", "role": "User"}, "Admin"),  # a set that gives the admin role
    ({"role": "Admin"}, "Admin"),
    ({}, "User"),
])
def test_the_effective_role(extension, expected):
    assert effective_role({"userName": "ann", EXTENSION_SCHEMA: extension}) == expected


def test_a_replacement_keeps_the_admin_managed_attributes_it_leaves_out_and_nothing_else():
    """RFC 7644 §3.5.1 replaces the whole resource; role and credits are the admin's, products the IdP's."""
    replaced = with_admin_managed({"schemas": [USER_SCHEMA], "userName": "ann"}, STORED)
    assert replaced == {"schemas": [USER_SCHEMA, EXTENSION_SCHEMA], "userName": "ann",
                        EXTENSION_SCHEMA: {"role": "Admin", "userCredit": "Limited", "creditLimit": 5,
                                           "resetUsage": "Never"}}
    sent = {"userName": "ann", EXTENSION_SCHEMA: {"role": "User", "products": ["Talent"]}}
    assert with_admin_managed(sent, STORED)[EXTENSION_SCHEMA] == {
        "role": "User", "userCredit": "Limited", "creditLimit": 5, "resetUsage": "Never", "products": ["Talent"]}
    assert with_admin_managed(sent, {"userName": "ann"}) is sent


def test_the_admins_patch_replaces_what_it_names_and_removes_what_is_none():
    """RFC 7644 §3.5.2.3 replace and §3.5.2.2 remove, by the extension attribute's full path."""
    operations = parse_patch(extension_patch({"role": "User", "creditLimit": None, "products": ["Talent"]}), USER)
    patched, changed = apply_patch(STORED, operations, USER)
    assert changed and patched[EXTENSION_SCHEMA] == {"role": "User", "userCredit": "Limited", "resetUsage": "Never",
                                                     "products": ["Talent"]}
