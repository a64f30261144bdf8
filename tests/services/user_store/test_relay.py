"""The outbox relay (services/user_store/relay.py): publishes in commit order per subject, deletes a row
only once the broker has it, resumes after a restart, and several relays on one file duplicate at most."""

from contextlib import asynccontextmanager
from datetime import timedelta

from test_outbox import outbox, published
from user_store_support import create, meta, patch

from contracts.users.v1 import PatchUser
from services.user_store.bootstrap import bootstrap
from services.user_store.relay import ADOPT_AFTER, Relay
from shared.messaging.ping import ServiceIdentity
from tests.support.clock import FakeClock
from tests.support.events import RecordingPublisher, until
from tests.support.seats import direct_seats


@asynccontextmanager
async def store(tmp_path, allocator, events: RecordingPublisher, instance: str = "t", **options):
    """One user-store process on the test's file (several may share it, as copies of the store do)."""
    async with bootstrap(tmp_path / "users.sqlite3", ServiceIdentity("user_store", instance),
                         direct_seats(allocator), events=events, relay_poll=0.01, **options) as dispatch:
        yield dispatch


async def retitle(dispatch, user_id: str, title: str) -> None:
    reply = await dispatch(PatchUser(id=user_id, patch=patch({"op": "replace", "path": "title", "value": title})),
                           meta())
    assert reply.ok, reply.error


def titles(events: RecordingPublisher, user_id: str) -> list[str]:
    """The titles of a user's events in the order a consumer that dedupes by id sees them."""
    seen, found = set(), []
    for event in events.events():
        if event.subject == user_id and event.id not in seen:
            seen.add(event.id)
            found.append(event.data.get("title", "-"))
    return found


async def test_a_subjects_next_event_is_sent_only_once_the_previous_one_is_acknowledged(dispatch, events, tmp_path):
    events.hold()
    ann = await create(dispatch, "ann")
    await until(lambda: events.in_flight == 1)  # the relay's round waits for the broker
    bob = await create(dispatch, "bob")
    for number in range(10):
        await retitle(dispatch, ann.id, f"t{number}")
    assert len(outbox(tmp_path)) == 12
    events.release()
    await published(events, tmp_path)
    assert titles(events, ann.id) == ["-", *(f"t{number}" for number in range(10))]
    assert len(events.sent) == 12 and events.overtaking == 0 and titles(events, bob.id) == ["-"]


async def test_events_wait_out_a_broker_that_refuses_them(tmp_path, allocator):
    events = RecordingPublisher()
    async with store(tmp_path, allocator, events) as dispatch:
        events.failing = True
        ann = await create(dispatch, "ann")
        await retitle(dispatch, ann.id, "t1")
        await until(lambda: events.in_flight == 0 and len(outbox(tmp_path)) == 2)
        events.failing = False
        await published(events, tmp_path)
    assert titles(events, ann.id) == ["-", "t1"]


async def test_a_restarted_store_publishes_what_it_left_in_order_under_the_same_ids(tmp_path, allocator):
    down = RecordingPublisher()
    down.failing = True
    async with store(tmp_path, allocator, down) as dispatch:
        ann = await create(dispatch, "ann")
        await retitle(dispatch, ann.id, "t1")
    left = [event["id"] for _, _, event in outbox(tmp_path)]
    assert len(left) == 2 and down.sent == []
    events = RecordingPublisher()
    async with store(tmp_path, allocator, events):
        await published(events, tmp_path)
    assert [event.id for event in events.events()] == left and titles(events, ann.id) == ["-", "t1"]


async def test_two_store_processes_on_one_file_keep_each_subjects_order(tmp_path, allocator):
    """Each relay publishes its own process's rows; a subject's row waits for the other's earlier one."""
    topic: list = []
    a_events, b_events = RecordingPublisher(topic), RecordingPublisher(topic)
    async with store(tmp_path, allocator, a_events, "a") as a, store(tmp_path, allocator, b_events, "b") as b:
        ann = await create(a, "ann")
        for number in range(12):
            await retitle(a if number % 2 else b, ann.id, f"t{number}")
        await published(a_events, tmp_path)
    assert {sent.key for sent in topic} == {f"t1:{ann.id}"} and len(topic) == 13
    assert a_events.acknowledged == 7 and b_events.acknowledged == 6  # each its own process's
    assert titles(a_events, ann.id) == ["-", *(f"t{number}" for number in range(12))]


async def test_a_stuck_relay_coming_back_duplicates_but_never_reorders(dispatch, events, tmp_path):
    """The store's relay holds its round (a broker that does not answer); another relay publishes the same
    rows meanwhile (as one adopting them would). The late duplicates come after newer events, and a
    consumer that drops ids it has seen still reads each subject in commit order."""
    events.hold()
    ann = await create(dispatch, "ann")
    await until(lambda: events.in_flight == 1)
    bob = await create(dispatch, "bob")
    for number in range(3):
        await retitle(dispatch, ann.id, f"t{number}")
    other = Relay(dispatch.deps.uow, RecordingPublisher(events.sent), "t", clock=dispatch.deps.clock)
    while await other.publish_due():
        pass
    events.release()
    await published(events, tmp_path)
    ids = [event.id for event in events.events()]
    assert len(ids) == 5 + 1 and ids[-1] == ids[0]  # ann's first event, late, a second time
    assert titles(events, ann.id) == ["-", "t0", "t1", "t2"] and titles(events, bob.id) == ["-"]


async def test_another_copys_rows_are_adopted_once_they_are_old(tmp_path, allocator):
    clock = FakeClock()
    down = RecordingPublisher()
    down.failing = True
    async with store(tmp_path, allocator, down, "gone", clock=clock) as dispatch:
        ann = await create(dispatch, "ann")
    events = RecordingPublisher()
    async with store(tmp_path, allocator, events, "b", clock=clock) as dispatch:
        relay = Relay(dispatch.deps.uow, events, "b", clock=clock)
        assert await relay.publish_due() == 0 and events.sent == []
        clock.advance((ADOPT_AFTER + timedelta(seconds=1)).total_seconds())
        await published(events, tmp_path)
    assert [event.subject for event in events.events()] == [ann.id]
