"""Products and a user's seats on a real SQLite file: failures with their reason, every freeing path."""

import asyncio

import pytest
from seat_support import (
    NEXT_YEAR,
    allocate,
    allocate_command,
    meta,
    refused,
    seats_of,
    stored,
    subscribe,
    summary,
    used,
)

from contracts import ErrorCode
from contracts.seats.v1 import (
    ChangeSubscription,
    ReleaseSeats,
    SeatAllocation,
    SubscribeProduct,
)
from contracts.seats.v1 import (
    SeatFailureReason as Reason,
)
from shared.messaging.requester import unwrap


async def test_subscribing_products_shows_total_used_and_free_seats(dispatch):
    await subscribe(dispatch, "Sales", 100)
    await subscribe(dispatch, "Marketing", 10)
    await allocate(dispatch, "u1", "Sales", "Marketing")
    seats = await summary(dispatch)
    assert [(p.product, p.total, p.used, p.free, p.expired) for p in seats.values()] == [
        ("Marketing", 10, 1, 9, False), ("Sales", 100, 1, 99, False)]
    assert seats["Sales"].expires_at == NEXT_YEAR


async def test_a_product_is_subscribed_once_and_its_seats_never_drop_below_those_in_use(dispatch):
    await subscribe(dispatch, "Sales", 2)
    again = SubscribeProduct(product="Sales", seats=5, expires_at=NEXT_YEAR)
    assert (await refused(dispatch, again)).code == ErrorCode.UNIQUENESS
    await allocate(dispatch, "u1", "Sales")
    await allocate(dispatch, "u2", "Sales")
    error = await refused(dispatch, ChangeSubscription(product="Sales", seats=1))
    assert error.code == ErrorCode.INVALID_VALUE and "cannot go below the 2 seats in use" in error.detail
    assert (await refused(dispatch, ChangeSubscription(product="Talent", seats=1))).code == ErrorCode.NOT_FOUND


async def test_more_seats_let_a_failed_user_in(dispatch):
    await subscribe(dispatch, "Sales", 1)
    await allocate(dispatch, "u1", "Sales")
    assert not (await allocate(dispatch, "u2", "Sales")).ok
    await dispatch(ChangeSubscription(product="Sales", seats=2), meta())
    assert (await allocate(dispatch, "u2", "Sales")).ok
    assert await seats_of(dispatch, "u2") == SeatAllocation(
        user_id="u2", user_name="u2@example.com", products=["Sales"], platform_active=True)


async def test_a_user_takes_a_seat_of_each_product_and_becomes_platform_active(dispatch):
    await subscribe(dispatch, "Sales")
    await subscribe(dispatch, "Marketing")
    result = unwrap(await allocate(dispatch, "u1", "Sales", "Marketing"), SeatAllocation)
    assert (result.products, result.platform_active, result.failure) == (["Marketing", "Sales"], True, None)


async def test_two_products_are_both_or_neither(dispatch):
    await subscribe(dispatch, "Sales", 10)
    await subscribe(dispatch, "Marketing", 0)
    reply = await allocate(dispatch, "u1", "Sales", "Marketing")
    assert reply.error.code == ErrorCode.INVALID_VALUE
    assert reply.error.detail == ("Seats for user 'u1@example.com' not allocated: "
                                  "product 'Marketing' has no free seat (0 of 0 in use)")
    assert (await used(dispatch, "Sales"), await used(dispatch, "Marketing")) == (0, 0)


@pytest.mark.parametrize(("products", "reason", "named"), [
    (["Talent"], Reason.NOT_SUBSCRIBED, "product 'Talent' is not subscribed"),
    (["Expired"], Reason.EXPIRED, "the subscription to product 'Expired' expired on"),
    (["Full"], Reason.NO_FREE_SEAT, "product 'Full' has no free seat (0 of 0 in use)"),
    ([], Reason.NO_PRODUCT, "no product is associated with the user"),
])
async def test_each_failure_is_kept_with_its_reason_and_takes_no_seat(dispatch, clock, products, reason, named):
    await subscribe(dispatch, "Sales")
    await subscribe(dispatch, "Expired", expires_at=clock.now)
    await subscribe(dispatch, "Full", 0)
    reply = await allocate(dispatch, "u1", "Sales", *products) if products else await allocate(dispatch, "u1")
    assert reply.error.code == ErrorCode.INVALID_VALUE and named in reply.error.detail
    record = await seats_of(dispatch, "u1")
    assert (record.products, record.platform_active) == ([], False)
    assert [p.reason for p in record.failure.problems] == [reason]
    assert record.failure.detail == reply.error.detail and record.failure.failed_at == clock.now
    assert await used(dispatch, "Sales") == 0


async def test_a_later_success_clears_the_failure(dispatch):
    await subscribe(dispatch, "Sales")
    await allocate(dispatch, "u1", "Talent")
    assert (await seats_of(dispatch, "u1")).failure is not None
    await allocate(dispatch, "u1", "Sales")
    assert (await seats_of(dispatch, "u1")).failure is None


async def test_a_redelivered_refusal_gets_the_same_answer_even_after_a_seat_was_freed(dispatch):
    """The journal keeps failures too: the redelivery must not become a second, different attempt."""
    await subscribe(dispatch, "Sales", 1)
    await allocate(dispatch, "u1", "Sales")
    command, first = allocate_command("u2", "Sales"), meta(message_id="alloc-u2")
    refusal = await dispatch(command, first)
    await dispatch(ReleaseSeats(user_id="u1"), meta())
    assert await dispatch(command, first) == refusal
    assert await used(dispatch) == 0


async def test_deactivation_frees_every_seat_and_reallocation_takes_them_again(dispatch):
    await subscribe(dispatch, "Sales", 1)
    await allocate(dispatch, "u1", "Sales")
    released = unwrap(await dispatch(ReleaseSeats(user_id="u1"), meta()), SeatAllocation)
    assert (released.products, released.platform_active, await used(dispatch)) == ([], False, 0)
    assert (await allocate(dispatch, "u2", "Sales")).ok
    reply = await allocate(dispatch, "u1", "Sales")
    assert "product 'Sales' has no free seat (1 of 1 in use)" in reply.error.detail


async def test_deletion_frees_the_seats_and_forgets_the_user(dispatch):
    await subscribe(dispatch, "Sales")
    await allocate(dispatch, "u1", "Sales")
    await dispatch(ReleaseSeats(user_id="u1", forget=True), meta())
    assert await used(dispatch) == 0
    assert await seats_of(dispatch, "u1") == SeatAllocation(user_id="u1", products=[], platform_active=False)


async def test_releasing_an_unknown_user_is_a_harmless_no_op(dispatch):
    result = unwrap(await dispatch(ReleaseSeats(user_id="nobody"), meta()), SeatAllocation)
    assert result.platform_active is False


async def test_a_new_product_list_moves_the_seats(dispatch):
    await subscribe(dispatch, "Sales")
    await subscribe(dispatch, "Marketing")
    await allocate(dispatch, "u1", "Sales")
    moved = unwrap(await allocate(dispatch, "u1", "Marketing"), SeatAllocation)
    assert moved.products == ["Marketing"]
    assert (await used(dispatch, "Sales"), await used(dispatch, "Marketing")) == (0, 1)


async def test_a_refused_change_keeps_the_seats_held_before(dispatch):
    await subscribe(dispatch, "Sales")
    await subscribe(dispatch, "Marketing", 0)
    await allocate(dispatch, "u1", "Sales")
    assert not (await allocate(dispatch, "u1", "Marketing")).ok
    record = await seats_of(dispatch, "u1")
    assert (record.products, record.failure.problems[0].product) == (["Sales"], "Marketing")


async def test_seats_and_products_are_per_tenant(dispatch):
    await subscribe(dispatch, "Sales", 1)
    await allocate(dispatch, "u1", "Sales")
    await subscribe(dispatch, "Sales", 1, tenant="t2")
    assert (await summary(dispatch, "t2"))["Sales"].used == 0
    assert (await dispatch(allocate_command("u1", "Sales"), meta("t2"))).ok


async def test_a_redelivery_during_the_first_run_is_answered_once_that_run_is_stored(dispatch, store):
    """On SQLite the tenant's next unit joins the open transaction of the one before (a group commit) and sees
    its journaled reply before the COMMIT: answered at once, its caller could read no seat yet, or be told of a
    success whose commit then failed. It waits for the commit (journaled.py)."""
    await subscribe(dispatch)
    command, once = allocate_command("ann", "Sales"), meta(message_id="m-ann")

    async def reply_then_seats() -> tuple[bool, list[tuple]]:
        reply = await dispatch(command, once)
        return reply.ok, await stored(store, "SELECT count(*) FROM seats")

    assert await asyncio.gather(reply_then_seats(), reply_then_seats()) == [(True, [(1,)]), (True, [(1,)])]
