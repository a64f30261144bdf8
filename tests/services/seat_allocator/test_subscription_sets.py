"""Subscription sets (Entra ID groups by exact name): rules, one set per user, membership moving seats.

Seeds 001 (ZoomInfo with Entra ID): name 3–35 of [a-zA-Z0-9.\\- ], description ≤ 45, one or more
products, optional admin role for all members; Created, Modified, Last Synced ("UnSynced").
"""

import asyncio

import pytest
from seat_support import (
    START,
    allocate,
    create_set,
    membership,
    meta,
    ok,
    refused,
    seats_of,
    subscribe,
    used,
)

from contracts import ErrorCode
from contracts.seats.v1 import (
    ChangeSubscription,
    CreateSubscriptionSet,
    DeleteSubscriptionSet,
    EditSubscriptionSet,
    ListSubscriptionSets,
    ReleaseSeats,
    SeatAllocation,
    SubscriptionChanged,
    SubscriptionSetList,
    SubscriptionSetReport,
)
from contracts.seats.v1 import (
    SeatFailureReason as Reason,
)
from shared.messaging.requester import unwrap
from tests.support.unfinished_write import READ_WITHIN_SECONDS, unfinished_write


@pytest.fixture
async def products(dispatch):
    await subscribe(dispatch, "Sales", 100)
    await subscribe(dispatch, "Marketing", 2)


async def test_a_new_set_is_unsynced_until_its_first_membership_change(dispatch, products, clock):
    created = await create_set(dispatch, "NA Sales Team", "Sales")
    assert (created.created, created.modified, created.last_synced, created.members) == (START, START, None, 0)
    clock.advance(minutes=40)
    report = await membership(dispatch, "NA Sales Team", added=["u1"])
    assert (report.subscription_set.last_synced, report.subscription_set.members) == (clock.now, 1)
    listed = await ok(dispatch, ListSubscriptionSets(), SubscriptionSetList)
    assert listed.sets == [report.subscription_set]


@pytest.mark.parametrize(("command", "rule"), [
    (CreateSubscriptionSet(name="ab", products=["Sales"]), "must be 3 to 35 characters long"),
    (CreateSubscriptionSet(name="Sales_Team", products=["Sales"]), "only letters, digits, '.', '-' and spaces"),
    (CreateSubscriptionSet(name="Sales", description="d" * 46, products=["Sales"]), "at most 45 characters"),
    (CreateSubscriptionSet(name="Sales", products=[]), "one or more products"),
    (CreateSubscriptionSet(name="Talent Team", products=["Sales", "Talent"]), "not subscribed: Talent"),
])
async def test_a_bad_set_is_refused_naming_the_rule_and_nothing_is_created(dispatch, products, command, rule):
    error = await refused(dispatch, command)
    assert error.code == ErrorCode.INVALID_VALUE and rule in error.detail
    assert (await ok(dispatch, ListSubscriptionSets(), SubscriptionSetList)).sets == []


async def test_set_names_are_unique_ignoring_case(dispatch, products):
    await create_set(dispatch, "Sales Team")
    error = await refused(dispatch, CreateSubscriptionSet(name="SALES team", products=["Sales"]))
    assert error.code == ErrorCode.UNIQUENESS


async def test_joining_a_set_takes_its_seats_and_leaving_frees_them(dispatch, products):
    await create_set(dispatch, "Sales Team", "Sales", "Marketing")
    joined = await membership(dispatch, "Sales Team", added=["u1"])
    assert [(o.user_id, o.products, o.set_name) for o in joined.outcomes] == [
        ("u1", ["Marketing", "Sales"], "Sales Team")]
    left = await membership(dispatch, "Sales Team", removed=["u1"])
    assert [(o.products, o.platform_active, o.set_name) for o in left.outcomes] == [([], False, None)]
    assert (await used(dispatch, "Sales"), left.subscription_set.members) == (0, 0)


async def test_leaving_a_set_keeps_the_users_own_products(dispatch, products):
    await create_set(dispatch, "Marketing Team", "Marketing")
    await allocate(dispatch, "u1", "Sales", set_name="Marketing Team")
    assert (await seats_of(dispatch, "u1")).products == ["Marketing", "Sales"]
    await membership(dispatch, "Marketing Team", removed=["u1"])
    assert (await seats_of(dispatch, "u1")).products == ["Sales"]


async def test_per_user_outcomes_when_the_set_runs_out_of_seats(dispatch, products):
    await create_set(dispatch, "Marketing Team", "Marketing")
    report = await membership(dispatch, "Marketing Team", added=["u1", "u2", "u3"])
    assert [o.platform_active for o in report.outcomes] == [True, True, False]
    assert report.outcomes[2].failure.problems[0].reason == Reason.NO_FREE_SEAT
    assert (await seats_of(dispatch, "u3")).failure == report.outcomes[2].failure


async def test_a_user_belongs_to_one_set_and_a_second_changes_nothing(dispatch, products):
    await create_set(dispatch, "Sales Team", "Sales")
    await create_set(dispatch, "Marketing Team", "Marketing")
    await membership(dispatch, "Sales Team", added=["u1"])
    outcome = (await membership(dispatch, "Marketing Team", added=["u1"])).outcomes[0]
    assert outcome.failure.problems[0].reason == Reason.OTHER_SET
    assert "already belongs to subscription set 'Sales Team'" in outcome.failure.detail
    error = (await allocate(dispatch, "u1", set_name="Marketing Team")).error
    assert error.code == ErrorCode.INVALID_VALUE and "one set only" in error.detail
    after = await seats_of(dispatch, "u1")
    assert (after.set_name, after.products, await used(dispatch, "Marketing")) == ("Sales Team", ["Sales"], 0)
    assert after.failure == outcome.failure  # kept for the admin's sync status
    removed = (await membership(dispatch, "Marketing Team", removed=["u1"])).outcomes[0]
    assert (removed.set_name, removed.failure) == ("Sales Team", None)  # leaving a set never joined: nothing failed


async def test_the_admin_role_option_makes_members_admins(dispatch, products):
    await create_set(dispatch, "ZoomInfo-Admins", "Sales", admin_role=True)
    await create_set(dispatch, "Sales Team", "Sales")
    admin = (await membership(dispatch, "ZoomInfo-Admins", added=["boss"])).outcomes[0]
    member = (await membership(dispatch, "Sales Team", added=["rep"])).outcomes[0]
    assert (admin.role, member.role, (await seats_of(dispatch, "boss")).role) == ("Admin", None, "Admin")


async def test_editing_products_moves_the_members_seats(dispatch, products, clock):
    await create_set(dispatch, "Team", "Sales")
    await membership(dispatch, "Team", added=["u1"])
    clock.advance(days=1)
    edit = EditSubscriptionSet(name="Team", products=["Marketing"], admin_role=True)
    report = await ok(dispatch, edit, SubscriptionSetReport)
    assert (report.subscription_set.name, report.subscription_set.modified) == ("Team", clock.now)
    assert [(o.products, o.role, o.set_name) for o in report.outcomes] == [(["Marketing"], "Admin", "Team")]
    assert (await used(dispatch, "Sales"), await used(dispatch, "Marketing")) == (0, 1)


async def test_a_set_with_members_is_not_renamed(dispatch, products):
    """Its members are the IdP group's of its name: renamed, it kept them seated while that group's changes,
    sent under the old name, reached no set (a leak of seats). Empty, it is renamed."""
    await create_set(dispatch, "Team", "Sales")
    await membership(dispatch, "Team", added=["u1"])
    error = await refused(dispatch, EditSubscriptionSet(name="Team", new_name="Renamed", products=["Marketing"]))
    assert error.code == ErrorCode.INVALID_VALUE and "rename the group there first" in error.detail
    assert (await seats_of(dispatch, "u1")).products == ["Sales"]  # nothing of the edit was written
    await membership(dispatch, "Team", removed=["u1"])
    renamed = await ok(dispatch, EditSubscriptionSet(name="Team", new_name="Renamed"), SubscriptionSetReport)
    assert renamed.subscription_set.name == "Renamed"


async def test_a_bad_edit_changes_nothing(dispatch, products):
    created = await create_set(dispatch, "Team", "Sales")
    error = await refused(dispatch, EditSubscriptionSet(name="Team", description="ok", new_name="T"))
    assert error.code == ErrorCode.INVALID_VALUE
    assert (await ok(dispatch, ListSubscriptionSets(), SubscriptionSetList)).sets == [created]


async def test_deleting_a_set_frees_its_members_seats(dispatch, products):
    await create_set(dispatch, "Team", "Sales")
    await membership(dispatch, "Team", added=["u1", "u2"])
    report = await ok(dispatch, DeleteSubscriptionSet(name="Team"), SubscriptionSetReport)
    assert [(o.user_id, o.platform_active) for o in report.outcomes] == [("u1", False), ("u2", False)]
    assert await used(dispatch, "Sales") == 0
    assert (await refused(dispatch, DeleteSubscriptionSet(name="Team"))).code == ErrorCode.NOT_FOUND


async def test_a_deactivated_member_added_again_holds_nothing_until_reallocated(dispatch, products):
    await create_set(dispatch, "Team", "Sales")
    await membership(dispatch, "Team", added=["u1"])
    await dispatch(ReleaseSeats(user_id="u1"), meta())
    assert (await membership(dispatch, "Team", added=["u1"])).outcomes[0].platform_active is False
    reactivated = unwrap(await allocate(dispatch, "u1"), SeatAllocation)
    assert (reactivated.products, reactivated.set_name) == (["Sales"], "Team")


async def test_reads_answer_beside_an_unfinished_write_and_show_only_what_is_committed(dispatch, products):
    await create_set(dispatch, "NA Sales Team", "Sales")
    await membership(dispatch, "NA Sales Team", added=["u1"])
    wiped = ("DELETE FROM seats", "DELETE FROM seat_users", "DELETE FROM subscription_sets", "DELETE FROM products")
    async with unfinished_write(dispatch, *wiped), asyncio.timeout(READ_WITHIN_SECONDS):
        in_use, held = await used(dispatch), await seats_of(dispatch, "u1")
        listed = await ok(dispatch, ListSubscriptionSets(), SubscriptionSetList)
    assert (in_use, held.products, held.set_name) == (1, ["Sales"], "NA Sales Team")
    assert [(s.name, s.members) for s in listed.sets] == [("NA Sales Team", 1)]


async def test_seats_bought_go_to_the_set_members_waiting_for_them_longest_first(dispatch, products, clock):
    """Marketing has 2 seats: of four members joining, two wait. One more seat goes to the one waiting
    longest; members waiting on another product, or deactivated meanwhile, are not seated by it."""
    await create_set(dispatch, "Mkt Team", "Marketing")
    await create_set(dispatch, "Sales Team", "Sales")
    for user in ("u1", "u2", "u3", "u4"):
        await membership(dispatch, "Mkt Team", added=[user])
        clock.advance(minutes=1)
    await membership(dispatch, "Mkt Team", added=["u5"])  # waiting too, then deactivated
    await dispatch(ReleaseSeats(user_id="u5"), meta())
    assert [(await seats_of(dispatch, user)).failure is not None for user in ("u3", "u4")] == [True, True]
    bought = await ok(dispatch, ChangeSubscription(product="Marketing", seats=3), SubscriptionChanged)
    assert [(a.user_id, a.products, a.failure) for a in bought.seated] == [("u3", ["Marketing"], None)]
    assert (bought.used, bought.free) == (3, 0)
    assert (await seats_of(dispatch, "u4")).failure is not None and (await seats_of(dispatch, "u5")).products == []
    again = await ok(dispatch, ChangeSubscription(product="Sales", seats=200), SubscriptionChanged)
    assert again.seated == []  # nobody waits for Sales
