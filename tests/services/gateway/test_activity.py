"""Last used and first connection: shown at once on this replica, published at most once a minute."""

import asyncio

from services.gateway.tenancy import rules
from services.gateway.tenancy.activity import ActivityTracker
from services.gateway.tenancy.directory import TenantDirectory
from tests.support.clock import FakeClock


def tracker_for_new_tenant():
    clock, directory = FakeClock(), TenantDirectory()
    record = rules.new_tenant("acme", clock()).record
    directory.apply(record)
    return clock, directory, ActivityTracker(directory, clock), record


async def test_a_use_shows_at_once_and_the_first_connection_is_due_at_once():
    clock, directory, tracker, record = tracker_for_new_tenant()
    tracker.touch(record)
    assert directory.activity(record.tenant_id).last_used_at == clock()
    [due] = tracker.take_due()
    assert (due.first_connected_at, due.last_used_at, due.token_id) == (clock(), clock(), record.token.token_id)


def used_again_after(seconds: float):
    """A first connection (published), then another use ``seconds`` later."""
    clock, _, tracker, record = tracker_for_new_tenant()
    tracker.touch(record)
    tracker.take_due()
    clock.advance(seconds=seconds)
    tracker.touch(record)
    return clock, tracker


async def test_uses_within_a_minute_wait_for_the_minute():
    clock, tracker = used_again_after(30)
    used_at = clock()
    assert tracker.take_due() == []
    clock.advance(seconds=30)
    [due] = tracker.take_due()
    assert due.last_used_at == used_at and due.first_connected_at < used_at


async def test_uses_within_a_second_are_one_use_and_a_new_token_is_never_folded_in():
    clock, directory, tracker, record = tracker_for_new_tenant()
    tracker.touch(record)
    first_use = clock()
    clock.advance(seconds=0.5)
    tracker.touch(record)
    assert directory.activity(record.tenant_id).last_used_at == first_use
    clock.advance(seconds=0.5)
    tracker.touch(record)
    assert directory.activity(record.tenant_id).last_used_at == clock()
    rotated = record.model_copy(update={"token": record.token.model_copy(update={"token_id": "other"})})
    clock.advance(seconds=0.1)
    tracker.touch(rotated)
    assert (directory.activity(record.tenant_id).token_id, directory.activity(record.tenant_id).last_used_at) == (
        "other", clock())


async def shut_down(tracker: ActivityTracker, publish) -> None:
    """Run the publisher loop as on shutdown: stop already set, so only the final flush happens."""
    stop = asyncio.Event()
    stop.set()
    await tracker.run(publish, stop)


async def test_shutdown_publishes_what_is_left():
    clock, tracker = used_again_after(5)
    sent = []

    async def publish(activity):
        sent.append(activity)

    await shut_down(tracker, publish)
    assert [a.last_used_at for a in sent] == [clock()]


async def test_a_failed_publish_is_tried_again():
    _, _, tracker, record = tracker_for_new_tenant()
    tracker.touch(record)

    async def broker_down(activity):
        raise ConnectionError("no broker")

    await shut_down(tracker, broker_down)
    assert len(tracker.take_due()) == 1
