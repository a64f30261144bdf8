"""100 seats, 120 users: exactly 100 seats taken, whatever the interleaving, the redeliveries or the replicas.

PRODUCT.md "Seats": "100 seats, 120 users: the last 20 fail"; "Seats are never double-counted,
whatever the IdP retries". Two replicas are two dispatchers on one database (a SQLite file, or one
PostgreSQL schema whose transactions run side by side), as during a Kafka rebalance when the old owner of
a partition still finishes its batch while the new one starts, or as copies on two hosts.
"""

import asyncio
import random
from itertools import cycle

import pytest
from seat_support import allocate, allocate_command, meta, seats_of, subscribe, used

from contracts import ErrorCode, Reply
from contracts.seats.v1 import SeatFailureReason as Reason
from services.seat_allocator.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity

SEATS, USERS = 100, 120
NO_SEAT = "product 'Sales' has no free seat (100 of 100 in use)"


def users() -> list[str]:
    return [f"u{i:03}" for i in range(USERS)]


def assert_100_in_20_out(replies: list[Reply]) -> None:
    failed = [reply.error for reply in replies if not reply.ok]
    assert (len(replies) - len(failed), len(failed)) == (SEATS, USERS - SEATS)
    assert all(error.code == ErrorCode.INVALID_VALUE and error.detail.endswith(NO_SEAT) for error in failed)


@pytest.fixture
async def replicas(store, clock):
    async with (bootstrap(store, ServiceIdentity("seat_allocator", "a"), clock) as a,
                bootstrap(store, ServiceIdentity("seat_allocator", "b"), clock) as b):
        yield a, b


async def test_in_order_exactly_the_last_20_fail(dispatch):
    await subscribe(dispatch, "Sales", SEATS)
    replies = [await allocate(dispatch, user, "Sales") for user in users()]
    assert [reply.ok for reply in replies] == [True] * SEATS + [False] * (USERS - SEATS)
    assert_100_in_20_out(replies)
    assert await used(dispatch) == SEATS


async def test_120_concurrent_allocations_take_exactly_100_seats(dispatch):
    await subscribe(dispatch, "Sales", SEATS)
    replies = await asyncio.gather(*(allocate(dispatch, user, "Sales") for user in users()))
    assert_100_in_20_out(replies)
    assert await used(dispatch) == SEATS
    losers = [user for user, reply in zip(users(), replies, strict=True) if not reply.ok]
    for record in [await seats_of(dispatch, user) for user in losers]:
        assert (record.platform_active, [p.reason for p in record.failure.problems]) == (False, [Reason.NO_FREE_SEAT])


async def test_every_command_delivered_twice_to_two_replicas_gives_the_same_numbers(replicas):
    """Each message id arrives on both replicas, concurrently and shuffled: one effect, one answer."""
    first, second = replicas
    await subscribe(first, "Sales", SEATS)
    deliveries = [(replica, allocate_command(user, "Sales"), meta(message_id=f"m-{user}"))
                  for user in users() for replica in (first, second)]
    random.Random(6).shuffle(deliveries)
    replies = await asyncio.gather(*(replica(command, m) for replica, command, m in deliveries))
    by_message: dict[str, set[str]] = {}
    for (_, _, m), reply in zip(deliveries, replies, strict=True):
        by_message.setdefault(m.message_id, set()).add(reply.model_dump_json())
    assert all(len(answers) == 1 for answers in by_message.values())
    assert_100_in_20_out([Reply.model_validate_json(answers.pop()) for answers in by_message.values()])
    assert await used(first) == await used(second) == SEATS


async def test_120_allocations_split_over_two_replicas_at_once_take_exactly_100_seats(replicas):
    """Copies on two hosts: every other user asked of the other copy, all at once; on PostgreSQL their
    transactions overlap, and only the tenant's lock (journaled.take_turn) keeps them from both counting
    the same free seat."""
    first, second = replicas
    await subscribe(first, "Sales", SEATS)
    replies = await asyncio.gather(*(allocate(replica, user, "Sales")
                                     for user, replica in zip(users(), cycle(replicas))))
    assert_100_in_20_out(replies)
    assert await used(first) == await used(second) == SEATS
