"""What the admin manages on a user (role, credits; shared/scim/vendor.py) through the store's own writes:
an IdP's PUT that leaves them out keeps them, while products stay the IdP's word under the seat rules;
the admin's PATCH is reported as the admin's, with the email and effective role the status list shows."""

from __future__ import annotations

import pytest
from user_store_support import meta, patch, seats_of, subscribe

from contracts import ErrorCode
from contracts.groups.v1 import CreateGroup, GroupRecord
from contracts.seats.v1 import CreateSubscriptionSet, SubscriptionSetRecord
from contracts.users.v1 import CreateUser, GetUser, PatchUser, ReplaceUser, UserRecord
from services.user_store import repository
from services.user_store.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import RemoteError, unwrap
from shared.scim.schemas import EXTENSION_SCHEMA, USER_SCHEMA
from shared.scim.vendor import extension_patch
from tests.support.seats import direct_seats

SETTINGS = {"role": "Admin", "userCredit": "Limited", "creditLimit": 50, "resetUsage": "Yearly"}


def jane(**extension) -> dict:
    return {"schemas": [USER_SCHEMA, EXTENSION_SCHEMA], "userName": "jane", "active": True,
            "emails": [{"value": "j@home.example"}, {"value": "Jane@Work.example", "primary": True}],
            EXTENSION_SCHEMA: extension}


def without_extension(resource: dict) -> dict:
    return {**{k: v for k, v in resource.items() if k != EXTENSION_SCHEMA}, "schemas": [USER_SCHEMA]}


async def write(dispatch, command) -> UserRecord:
    return unwrap(await dispatch(command, meta()), UserRecord)


@pytest.fixture
async def reported(users_at, allocator):
    """(dispatch, outcomes): the store with a report that keeps each outcome."""
    outcomes = []

    async def keep(outcome, tenant_id, report_id):
        outcomes.append(outcome)

    async with bootstrap(users_at, ServiceIdentity("user_store", "t"), direct_seats(allocator),
                         report=keep) as dispatch:
        yield dispatch, outcomes


async def test_a_put_leaving_out_role_and_credits_keeps_the_stored_ones_and_one_sending_them_wins(dispatch, allocator):
    await subscribe(allocator, "Sales", 5)
    user = await write(dispatch, CreateUser(resource=jane(products=["Sales"], **SETTINGS)))
    kept = await write(dispatch, ReplaceUser(id=user.id, resource={**jane(products=["Sales"]), "title": "Boss"}))
    assert {key: kept.resource[EXTENSION_SCHEMA].get(key) for key in SETTINGS} == SETTINGS
    assert kept.resource["title"] == "Boss" and kept.version == user.version + 1
    again = await write(dispatch, ReplaceUser(id=user.id, resource={**jane(products=["Sales"]), "title": "Boss"}))
    assert again.version == kept.version  # the IdP's re-sync of the same state changes nothing
    sent = await write(dispatch, ReplaceUser(id=user.id, resource=jane(products=["Sales"], role="User")))
    assert (sent.resource[EXTENSION_SCHEMA]["role"], sent.resource[EXTENSION_SCHEMA]["creditLimit"]) == ("User", 50)


async def test_a_put_without_products_is_still_refused_where_products_are_required(dispatch, allocator):
    """Products take seats: a PUT is the IdP's word on them, as before (here, with products sold and no
    subscription set, a user without one is refused, and nothing changes)."""
    await subscribe(allocator, "Sales", 5)
    user = await write(dispatch, CreateUser(resource=jane(products=["Sales"], **SETTINGS)))
    with pytest.raises(RemoteError) as raised:
        await write(dispatch, ReplaceUser(id=user.id, resource=without_extension(jane())))
    assert raised.value.code == ErrorCode.INVALID_VALUE and "no product is associated" in raised.value.detail
    assert await write(dispatch, GetUser(id=user.id)) == user
    assert (await seats_of(allocator, user.id)).products == ["Sales"]


async def test_a_put_without_the_extension_where_no_seats_are_managed_keeps_role_and_credits(dispatch):
    user = await write(dispatch, CreateUser(resource=jane(**SETTINGS)))
    replaced = await write(dispatch, ReplaceUser(id=user.id, resource=without_extension(jane())))
    assert {key: replaced.resource[EXTENSION_SCHEMA].get(key) for key in SETTINGS} == SETTINGS
    assert EXTENSION_SCHEMA in replaced.resource["schemas"]


async def test_the_admins_patch_is_reported_as_the_admins_with_email_and_role(reported, allocator):
    dispatch, outcomes = reported
    await subscribe(allocator, "Sales", 5)
    user = await write(dispatch, CreateUser(resource=jane(products=["Sales"])))
    body = extension_patch({"role": "Admin", "creditLimit": None, "products": ["Sales"]})
    await write(dispatch, PatchUser(id=user.id, patch=body, by_admin=True))
    created, changed = outcomes
    assert (created.email, created.role) == ("Jane@Work.example", "User")
    assert (changed.action, changed.status, changed.asked) == (
        "patch", "synced", ["admin: role", "admin: creditLimit", "admin: products"])
    assert (changed.email, changed.role) == ("Jane@Work.example", "Admin")


async def test_a_members_reported_role_is_their_sets_admin_role_else_their_own(reported, allocator):
    dispatch, outcomes = reported
    await subscribe(allocator, "Sales", 5)
    for name, admin_role in (("Admins", True), ("Sellers", False)):
        unwrap(await allocator(CreateSubscriptionSet(name=name, products=["Sales"], admin_role=admin_role), meta()),
               SubscriptionSetRecord)
    ann = await write(dispatch, CreateUser(resource={"userName": "ann"}))
    bob = await write(dispatch, CreateUser(resource={"userName": "bob", EXTENSION_SCHEMA: {"role": "Admin"}}))
    cy = await write(dispatch, CreateUser(resource={"userName": "cy"}))
    outcomes.clear()
    for name, members in (("Admins", [ann]), ("Sellers", [bob, cy])):
        group = {"displayName": name, "members": [{"value": member.id} for member in members]}
        unwrap(await dispatch(CreateGroup(resource=group), meta()), GroupRecord)
    assert {o.user_name: o.role for o in outcomes if o.action == "membership"} == {
        "ann": "Admin", "bob": "Admin", "cy": "User"}


async def test_own_roles_are_read_in_chunks_of_one_tenant(dispatch, monkeypatch):
    monkeypatch.setattr(repository, "ROLES_PER_QUERY", 2)
    ids = [(await write(dispatch, CreateUser(resource={"userName": f"u{i}", EXTENSION_SCHEMA: {"role": role}}))).id
           for i, role in enumerate(["Admin", "User", "Admin"])]
    plain = (await write(dispatch, CreateUser(resource={"userName": "plain"}))).id
    async with dispatch.deps.uow(read_only=True) as uow:
        roles = await uow.users.own_roles("t1", [*ids, plain, "nobody"])
        elsewhere = await uow.users.own_roles("t2", ids)
    assert roles == {ids[0]: "Admin", ids[1]: "User", ids[2]: "Admin", plain: None} and elsewhere == {}


async def test_a_patch_by_the_admin_meets_the_seat_rules(dispatch, allocator):
    await subscribe(allocator, "Sales", 1)
    user = await write(dispatch, CreateUser(resource=jane(products=["Sales"])))
    body = patch({"op": "replace", "path": f"{EXTENSION_SCHEMA}:products", "value": ["Sales", "Talent"]})
    with pytest.raises(RemoteError) as raised:
        await write(dispatch, PatchUser(id=user.id, patch=body, by_admin=True))
    assert "product 'Talent' is not subscribed" in raised.value.detail
    assert await write(dispatch, GetUser(id=user.id)) == user
