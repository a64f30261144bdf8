"""The allocator's pure rules: subscription set names and descriptions, and what a user takes and frees."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts.seats.v1 import SeatFailureReason as Reason
from services.seat_allocator.domain import (
    RuleBroken,
    SeatRefusal,
    Subscription,
    check_description,
    check_one_set,
    check_seat_count,
    check_set_name,
    check_set_products,
    plan_allocation,
    plan_release,
    products_required,
    wanted,
)

NOW = datetime(2026, 11, 23, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def subs(**products: tuple[int, int]) -> dict[str, Subscription]:
    """product=(seats, used), all expiring in a month."""
    return {name: Subscription(name, seats, used, LATER) for name, (seats, used) in products.items()}


def refusal(want, held, subscriptions, now=NOW) -> SeatRefusal:
    with pytest.raises(SeatRefusal) as raised:
        plan_allocation(frozenset(want), frozenset(held), subscriptions, now)
    return raised.value


@pytest.mark.parametrize("name", ["abc", "NA Sales Team", "Sales-Marketing.Team", "ZoomInfo-Admins", "x" * 35])
def test_set_names_of_3_to_35_allowed_characters_pass(name):
    assert check_set_name(name) == name


@pytest.mark.parametrize(("name", "rule"), [
    ("ab", "3 to 35 characters"),
    ("x" * 36, "3 to 35 characters"),
    ("Sales_Team", "only letters, digits, '.', '-' and spaces; 'Sales_Team' contains '_'"),
    ("Équipe ventes", "contains 'É'"),
    ("tab\there", "contains '\\t'"),
])
def test_a_bad_set_name_names_the_rule_it_breaks(name, rule):
    with pytest.raises(RuleBroken, match="subscription set name") as raised:
        check_set_name(name)
    assert rule in raised.value.detail


def test_descriptions_up_to_45_characters_pass():
    assert check_description("d" * 45) == "d" * 45
    with pytest.raises(RuleBroken, match="at most 45 characters long; this one has 46"):
        check_description("d" * 46)


def test_set_products_are_one_or_more_subscribed_products_without_repeats():
    assert check_set_products(["Sales", "Marketing", "Sales"], {"Sales", "Marketing"}) == ["Sales", "Marketing"]
    with pytest.raises(RuleBroken, match="one or more products"):
        check_set_products([], {"Sales"})
    with pytest.raises(RuleBroken, match="not subscribed: Talent, Engage"):
        check_set_products(["Sales", "Talent", "Engage"], {"Sales"})


def test_the_seat_count_cannot_go_below_the_seats_in_use():
    check_seat_count(Subscription("Sales", 100, 80, LATER), 80)
    with pytest.raises(RuleBroken, match="cannot go below the 80 seats in use"):
        check_seat_count(Subscription("Sales", 100, 80, LATER), 79)
    with pytest.raises(RuleBroken, match="0 or more"):
        check_seat_count(Subscription("Sales", 0, 0, LATER), -1)


def test_a_user_wants_their_own_products_and_their_sets_and_nothing_while_deactivated():
    assert wanted(["Sales"], ["Marketing", "Sales"]) == {"Sales", "Marketing"}
    assert wanted(None, None) == frozenset()
    assert wanted(["Sales"], ["Marketing"], active=False) == frozenset()


def test_allocation_takes_the_new_products_and_frees_the_dropped_ones():
    plan = plan_allocation(frozenset({"Sales", "Marketing"}), frozenset({"Sales", "Talent"}),
                           subs(Sales=(1, 1), Marketing=(5, 0), Talent=(5, 1)), NOW)
    assert (plan.take, plan.free) == ({"Marketing"}, {"Talent"})


def test_a_seat_already_held_needs_no_free_seat():
    assert plan_allocation(frozenset({"Sales"}), frozenset({"Sales"}), subs(Sales=(1, 1)), NOW).take == frozenset()


def test_two_products_are_both_or_neither_and_the_refusal_names_the_full_one():
    refused = refusal({"Sales", "Marketing"}, set(), subs(Sales=(10, 0), Marketing=(5, 5)))
    assert [(p.product, p.reason) for p in refused.problems] == [("Marketing", Reason.NO_FREE_SEAT)]
    assert refused.detail == "product 'Marketing' has no free seat (5 of 5 in use)"


@pytest.mark.parametrize(("subscriptions", "reason", "text"), [
    ({}, Reason.NOT_SUBSCRIBED, "product 'Sales' is not subscribed"),
    ({"Sales": Subscription("Sales", 10, 0, NOW)}, Reason.EXPIRED,
     "the subscription to product 'Sales' expired on 2026-11-23 00:00 UTC"),
    (subs(Sales=(0, 0)), Reason.NO_FREE_SEAT, "product 'Sales' has no free seat (0 of 0 in use)"),
])
def test_each_product_refusal_names_the_product_and_the_reason(subscriptions, reason, text):
    refused = refusal({"Sales"}, set(), subscriptions)
    assert [(p.product, p.reason) for p in refused.problems] == [("Sales", reason)]
    assert refused.detail == text


def test_every_failing_product_is_named():
    refused = refusal({"Sales", "Talent"}, set(), {})
    assert [p.product for p in refused.problems] == ["Sales", "Talent"]


def test_no_product_at_all_is_refused():
    refused = refusal(set(), set(), subs(Sales=(10, 0)))
    assert [(p.product, p.reason) for p in refused.problems] == [(None, Reason.NO_PRODUCT)]
    assert "no product is associated with the user" in refused.detail


def test_release_frees_the_unwanted_and_never_fails():
    plan = plan_release(frozenset({"Sales"}), frozenset({"Sales", "Marketing"}))
    assert (plan.take, plan.free) == (frozenset(), {"Marketing"})


def test_a_user_belongs_to_at_most_one_set():
    check_one_set(None, "A")
    check_one_set("A", "A")
    with pytest.raises(SeatRefusal, match="already belongs to subscription set 'A' and cannot also join 'B'") as raised:
        check_one_set("A", "B")
    assert raised.value.problems[0].reason == Reason.OTHER_SET


@pytest.mark.parametrize(("sells_seats", "has_sets", "required"), [
    (True, False, True),  # Okta: products are user attributes
    (True, True, False),  # Entra: the user waits for their group's set
    (False, False, False),  # no product sold: seats are not managed
    (False, True, False),
])
def test_a_product_is_required_only_where_users_bring_their_own(sells_seats, has_sets, required):
    assert products_required(sells_seats, has_sets) is required


def test_wanting_nothing_where_no_product_is_required_takes_nothing_and_frees_what_is_held():
    plan = plan_allocation(frozenset(), frozenset({"Sales"}), subs(Sales=(10, 1)), NOW, product_required=False)
    assert (plan.take, plan.free) == (frozenset(), frozenset({"Sales"}))
