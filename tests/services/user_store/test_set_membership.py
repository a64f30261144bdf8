"""A SCIM group named exactly like a subscription set is that set (the ZoomInfo guide for Entra ID): its members take
and free the set's seats through the seat saga, with the real allocator in-process."""

from __future__ import annotations

import pytest
from user_store_support import (
    Crash,
    crashing,
    create,
    intents,
    meta,
    patch,
    seats_of,
    silent,
    subscribe,
    used,
)

from contracts import ErrorCode
from contracts.groups.v1 import (
    CreateGroup,
    DeleteGroup,
    GetGroup,
    GroupDeleted,
    GroupRecord,
    PatchGroup,
    ReplaceGroup,
)
from contracts.seats.v1 import (
    ChangeSubscription,
    CreateSubscriptionSet,
    EditSubscriptionSet,
    ListSubscriptionSets,
    SubscriptionChanged,
    SubscriptionSetList,
    SubscriptionSetRecord,
    SubscriptionSetReport,
)
from contracts.users.v1 import DeleteUser, GetUser, PatchUser, UserDeleted, UserRecord
from services.user_store.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import RemoteError, unwrap
from shared.scim.schemas import EXTENSION_SCHEMA
from tests.support.seats import direct_seats

IDENTITY = ServiceIdentity("user_store", "t")


async def make_set(allocator, name: str, *products: str, admin_role: bool = False) -> None:
    command = CreateSubscriptionSet(name=name, description="", products=list(products), admin_role=admin_role)
    unwrap(await allocator(command, meta()), SubscriptionSetRecord)


async def set_named(allocator, name: str) -> SubscriptionSetRecord:
    sets = unwrap(await allocator(ListSubscriptionSets(), meta()), SubscriptionSetList).sets
    return next(found for found in sets if found.name == name)


async def users(dispatch, count: int) -> list[str]:
    return [(await create(dispatch, f"user{i}")).id for i in range(count)]


def members(*user_ids: str) -> list[dict]:
    return [{"value": user_id} for user_id in user_ids]


async def push_group(dispatch, name: str, *user_ids: str) -> GroupRecord:
    reply = await dispatch(CreateGroup(resource={"displayName": name, "members": members(*user_ids)}), meta())
    return unwrap(reply, GroupRecord)


async def patch_members(dispatch, group_id: str, op: str, *user_ids: str) -> GroupRecord:
    operation = {"op": op, "path": "members", "value": members(*user_ids)}
    return unwrap(await dispatch(PatchGroup(id=group_id, patch=patch(operation)), meta()), GroupRecord)


async def seat_state(dispatch, user_id: str) -> dict:
    record = unwrap(await dispatch(GetUser(id=user_id), meta()), UserRecord)
    return {key: value for key, value in record.resource[EXTENSION_SCHEMA].items() if key != "scimActive"}


@pytest.fixture
async def sales_team(allocator):
    """Entra's order: the set exists, users are created without products, then the group is pushed."""
    await subscribe(allocator, "Sales", 100)
    await make_set(allocator, "Sales Team", "Sales")


async def test_members_of_the_sets_group_take_its_seats(dispatch, allocator, sales_team):
    ann, bob = await users(dispatch, 2)
    assert (await set_named(allocator, "Sales Team")).last_synced is None  # "UnSynced"
    group = await push_group(dispatch, "Sales Team", ann, bob)
    assert [member["value"] for member in group.resource["members"]] == sorted([ann, bob])
    assert await used(allocator) == 2 and (await seats_of(allocator, ann)).set_name == "Sales Team"
    assert await seat_state(dispatch, ann) == {"platformActive": True, "subscriptionSet": "Sales Team",
                                               "effectiveRole": "User"}
    synced = await set_named(allocator, "Sales Team")
    assert synced.members == 2 and synced.last_synced is not None


async def test_removal_from_the_group_frees_the_seats(dispatch, allocator, sales_team):
    ann, bob = await users(dispatch, 2)
    group = await push_group(dispatch, "Sales Team", ann, bob)
    before = unwrap(await dispatch(GetUser(id=ann), meta()), UserRecord).version
    await patch_members(dispatch, group.id, "remove", ann)
    assert await used(allocator) == 1 and (await seats_of(allocator, ann)).products == []
    assert await seat_state(dispatch, ann) == {"platformActive": False}
    assert unwrap(await dispatch(GetUser(id=ann), meta()), UserRecord).version == before + 1  # its ETag moved


async def test_a_group_no_set_is_named_after_is_ordinary(dispatch, allocator, sales_team):
    ann, = await users(dispatch, 1)
    group = await push_group(dispatch, "sales team", ann)  # a set is its group by exact name only
    assert group.resource["displayName"] == "sales team"
    assert await used(allocator) == 0 and await seat_state(dispatch, ann) == {"platformActive": False}
    assert (await set_named(allocator, "Sales Team")).last_synced is None


async def test_renaming_the_group_moves_its_members_between_sets(dispatch, allocator, sales_team):
    await subscribe(allocator, "Talent", 10)
    await make_set(allocator, "Talent Team", "Talent")
    ann, = await users(dispatch, 1)
    group = await push_group(dispatch, "Sales Team", ann)
    rename = patch({"op": "replace", "path": "displayName", "value": "Talent Team"})
    unwrap(await dispatch(PatchGroup(id=group.id, patch=rename), meta()), GroupRecord)
    assert (await used(allocator, "Sales"), await used(allocator, "Talent")) == (0, 1)
    assert (await seat_state(dispatch, ann))["subscriptionSet"] == "Talent Team"
    replace = {"displayName": "Anything else", "members": members(ann)}
    unwrap(await dispatch(ReplaceGroup(id=group.id, resource=replace), meta()), GroupRecord)
    assert await used(allocator, "Talent") == 0 and await seat_state(dispatch, ann) == {"platformActive": False}


async def test_deleting_the_group_frees_its_members_seats(dispatch, allocator, sales_team):
    ann, bob = await users(dispatch, 2)
    group = await push_group(dispatch, "Sales Team", ann, bob)
    unwrap(await dispatch(DeleteGroup(id=group.id), meta()), GroupDeleted)
    assert await used(allocator) == 0 and (await set_named(allocator, "Sales Team")).members == 0
    assert await seat_state(dispatch, bob) == {"platformActive": False}


async def test_a_user_in_one_set_is_refused_by_a_second_and_keeps_the_first(dispatch, allocator, sales_team):
    """The IdP's group keeps the member (Entra would otherwise retry forever); the allocator changes
    nothing and records why, for the admin."""
    await subscribe(allocator, "Talent", 10)
    await make_set(allocator, "Talent Team", "Talent")
    ann, = await users(dispatch, 1)
    await push_group(dispatch, "Sales Team", ann)
    talent = await push_group(dispatch, "Talent Team", ann)
    assert [member["value"] for member in talent.resource["members"]] == [ann]
    seats = await seats_of(allocator, ann)
    assert (seats.set_name, seats.products, await used(allocator, "Talent")) == ("Sales Team", ["Sales"], 0)
    assert "already belongs to subscription set 'Sales Team'" in seats.failure.detail
    assert (await seat_state(dispatch, ann))["subscriptionSet"] == "Sales Team"


async def test_members_beyond_the_free_seats_are_recorded_not_refused(dispatch, allocator):
    await subscribe(allocator, "Sales", 2)
    await make_set(allocator, "Sales Team", "Sales")
    ids = await users(dispatch, 3)
    group = await push_group(dispatch, "Sales Team", *ids)
    assert len(group.resource["members"]) == 3 and await used(allocator) == 2
    failed = [user_id for user_id in ids if (await seats_of(allocator, user_id)).failure]
    assert len(failed) == 1 and "has no free seat (2 of 2 in use)" in (await seats_of(allocator, failed[0])).failure.detail
    assert await seat_state(dispatch, failed[0]) == {"platformActive": False, "subscriptionSet": "Sales Team",
                                                     "effectiveRole": "User"}  # in the set, waiting for a seat


@pytest.mark.parametrize("resend", ["patch", "put"])
async def test_a_member_waiting_for_a_seat_gets_one_when_the_idp_names_them_again(dispatch, allocator, resend):
    """Seats were added after the group came: the IdP's next sync of the group (a PATCH adding the same
    members, or a PUT of the same list) seats the member it named who was still waiting."""
    await subscribe(allocator, "Sales", 2)
    await make_set(allocator, "Sales Team", "Sales")
    ids = await users(dispatch, 3)
    group = await push_group(dispatch, "Sales Team", *ids)
    [waiting] = [user_id for user_id in ids if (await seats_of(allocator, user_id)).failure]
    unwrap(await allocator(ChangeSubscription(product="Sales", seats=3), meta()), SubscriptionChanged)
    before = unwrap(await dispatch(GetGroup(id=group.id), meta()), GroupRecord).version
    if resend == "patch":
        await patch_members(dispatch, group.id, "add", *ids)
    else:
        body = {"displayName": "Sales Team", "members": members(*ids)}
        unwrap(await dispatch(ReplaceGroup(id=group.id, resource=body), meta()), GroupRecord)
    assert await used(allocator) == 3 and (await seats_of(allocator, waiting)).failure is None
    assert (await seat_state(dispatch, waiting))["platformActive"] is True
    assert unwrap(await dispatch(GetGroup(id=group.id), meta()), GroupRecord).version == before  # same members


async def test_a_set_giving_the_admin_role_shows_it_on_its_members(dispatch, allocator):
    await subscribe(allocator, "Sales", 5)
    await make_set(allocator, "Admins", "Sales", admin_role=True)
    ann, = await users(dispatch, 1)
    await push_group(dispatch, "Admins", ann)
    assert await seat_state(dispatch, ann) == {"platformActive": True, "subscriptionSet": "Admins",
                                               "effectiveRole": "Admin"}


async def test_a_redelivered_group_patch_moves_seats_once(dispatch, allocator, sales_team):
    ann, bob = await users(dispatch, 2)
    group = await push_group(dispatch, "Sales Team", ann)
    command = PatchGroup(id=group.id, patch=patch({"op": "add", "path": "members", "value": members(bob)}))
    once = meta()
    first = unwrap(await dispatch(command, once), GroupRecord)
    assert unwrap(await dispatch(command, once), GroupRecord) == first and await used(allocator) == 2


async def test_a_group_write_redelivered_after_a_crash_is_written_once(users_at, allocator, sales_team):
    path = users_at
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as store:
        ann, bob = await users(store, 2)
        group = await push_group(store, "Sales Team", ann)
    command, once = PatchGroup(id=group.id, patch=patch({"op": "add", "path": "members", "value": members(bob)})), meta()
    async with bootstrap(path, IDENTITY, crashing(allocator, after_answer=True)) as dying:
        with pytest.raises(Crash):
            await dying(command, once)
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as restarted:
        written = unwrap(await restarted(command, once), GroupRecord)
        assert len(written.resource["members"]) == 2 and await intents(restarted) == 0
        assert await used(allocator) == 2 and (await seat_state(restarted, bob))["platformActive"] is True


async def test_a_newer_group_write_undoes_an_unfinished_older_one_first(users_at, allocator, sales_team):
    """The older write added bob at the allocator but was never written (its reply was lost); the newer
    one, computed from the stored group, does not add bob: so bob must not keep the seat."""
    path = users_at
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as store:
        ann, bob, cy = await users(store, 3)
        group = await push_group(store, "Sales Team", ann)

    async def answers_then_times_out(command, tenant_id, message_id, timeout):
        await direct_seats(allocator)(command, tenant_id, message_id, timeout)
        return await silent(command, tenant_id, message_id, timeout)

    async with bootstrap(path, IDENTITY, answers_then_times_out) as flaky:
        reply = await flaky(PatchGroup(id=group.id, patch=patch({"op": "add", "path": "members",
                                                                  "value": members(bob)})), meta())
        assert reply.error.code == ErrorCode.UNAVAILABLE and await used(allocator) == 2
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as store:
        await patch_members(store, group.id, "add", cy)
        assert await intents(store) == 0
        assert (await seats_of(allocator, bob)).set_name is None and await used(allocator) == 2
        assert {m["value"] for m in unwrap(await store(GetGroup(id=group.id), meta()), GroupRecord).resource["members"]} \
            == {ann, cy}


class deleted_while_added:  # lower case: used as the store's seat ask, like a function
    """The allocator, asked to add ``user_id`` to a set, answers; meanwhile the user is deleted (through
    ``store``, set once the store using this ask is up): the group write then fails after the seats moved."""

    def __init__(self, allocator, user_id: str) -> None:
        self.allocator, self.user_id, self.store = allocator, user_id, None

    async def __call__(self, command, tenant_id, message_id, timeout):
        reply = await direct_seats(self.allocator)(command, tenant_id, message_id, timeout)
        if self.user_id in getattr(command, "added", []):
            unwrap(await self.store(DeleteUser(id=self.user_id), meta()), UserDeleted)
        return reply


async def test_a_group_write_failing_after_the_allocator_moved_seats_puts_them_back(users_at, allocator, sales_team):
    """bob is deleted while the allocator adds him: the group write is refused and the set undone."""
    path = users_at
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as store:
        ann, bob = await users(store, 2)
        group = await push_group(store, "Sales Team", ann)

    racing = deleted_while_added(allocator, bob)
    async with bootstrap(path, IDENTITY, racing) as store:
        racing.store = store
        with pytest.raises(RemoteError) as raised:
            await patch_members(store, group.id, "add", bob)
        assert raised.value.code == ErrorCode.INVALID_VALUE and bob in raised.value.detail
        assert await used(allocator) == 1 and await intents(store) == 0
        assert (await set_named(allocator, "Sales Team")).members == 1


@pytest.mark.parametrize("how", ["push", "patch", "rename"])
async def test_a_deactivated_user_joins_the_set_holding_nothing(dispatch, allocator, sales_team, how):
    """Created inactive, the allocator never heard of them: joining (by a pushed group, a member PATCH, or a
    rename onto the set's name) must not seat them, as it did: a deactivated user holds no seat."""
    idle = (await create(dispatch, "idle", active=False)).id
    if how == "push":
        await push_group(dispatch, "Sales Team", idle)
    elif how == "patch":
        await patch_members(dispatch, (await push_group(dispatch, "Sales Team")).id, "add", idle)
    else:
        group = await push_group(dispatch, "Plain", idle)
        rename = {"op": "replace", "path": "displayName", "value": "Sales Team"}
        unwrap(await dispatch(PatchGroup(id=group.id, patch=patch(rename)), meta()), GroupRecord)
    assert await used(allocator) == 0 and (await seats_of(allocator, idle)).set_name == "Sales Team"
    assert (await seat_state(dispatch, idle))["platformActive"] is False
    reactivate = patch({"op": "replace", "path": "active", "value": True})
    unwrap(await dispatch(PatchUser(id=idle, patch=reactivate), meta()), UserRecord)
    assert await used(allocator) == 1 and (await seat_state(dispatch, idle))["platformActive"] is True


async def test_a_refused_reactivation_leaves_the_user_deactivated_for_the_allocator_too(dispatch, allocator):
    """A reactivation refused for want of a seat must not leave the allocator taking the user for active
    with the products asked: the set's next change of products would seat them while the store holds
    them inactive."""
    for product, seats in (("Marketing", 1), ("Sales", 5), ("Engage", 5)):
        await subscribe(allocator, product, seats)
    await make_set(allocator, "Team", "Sales")
    holder = (await create(dispatch, "holder", **{EXTENSION_SCHEMA: {"products": ["Marketing"]}})).id
    waiting = (await create(dispatch, "waiting", active=False,
                            **{EXTENSION_SCHEMA: {"products": ["Marketing"]}})).id
    await push_group(dispatch, "Team", waiting)
    reactivate = patch({"op": "replace", "path": "active", "value": True})
    with pytest.raises(RemoteError):  # no Marketing seat
        unwrap(await dispatch(PatchUser(id=waiting, patch=reactivate), meta()), UserRecord)
    deactivate = patch({"op": "replace", "path": "active", "value": False})
    unwrap(await dispatch(PatchUser(id=holder, patch=deactivate), meta()), UserRecord)  # Marketing is free
    unwrap(await allocator(EditSubscriptionSet(name="Team", products=["Sales", "Engage"]), meta()),
           SubscriptionSetReport)
    assert (await seats_of(allocator, waiting)).products == []
    assert [await used(allocator, product) for product in ("Marketing", "Sales", "Engage")] == [0, 0, 0]


async def test_undoing_a_refused_group_write_keeps_a_waiting_member_it_asked_again_in_the_set(users_at, allocator):
    """cy waits for a seat; a PATCH names cy again and adds bob, who is deleted meanwhile: the write is
    refused and undone. The undo takes bob out of the set, never cy, whom the write did not add."""
    await subscribe(allocator, "Sales", 1)
    await make_set(allocator, "Sales Team", "Sales")
    path = users_at
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as store:
        ann, cy, bob = await users(store, 3)
        group = await push_group(store, "Sales Team", ann, cy)

    racing = deleted_while_added(allocator, bob)
    async with bootstrap(path, IDENTITY, racing) as store:
        racing.store = store
        with pytest.raises(RemoteError):
            await patch_members(store, group.id, "add", cy, bob)
    assert (await set_named(allocator, "Sales Team")).members == 2
    assert (await seats_of(allocator, cy)).set_name == "Sales Team"
