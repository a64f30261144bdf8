"""The outbox relay (shared/events/relay.py): publishes in commit order per subject, deletes a row only
once the broker has it, resumes after a restart, and several relays on one file duplicate at most."""

from datetime import timedelta

from outbox_support import emitter, outbox, published, titles

from shared.events.relay import ADOPT_AFTER, Relay
from shared.messaging.transport import RecordTooLarge
from tests.support.clock import FakeClock
from tests.support.events import RecordingPublisher, until


async def test_a_subjects_next_event_is_sent_only_once_the_previous_one_is_acknowledged(database):
    events = RecordingPublisher()
    async with emitter(database, events) as process:
        events.hold()
        await process.retitle("ann")
        await until(lambda: events.in_flight == 1)  # the relay's round waits for the broker
        await process.retitle("bob")
        for number in range(10):
            await process.retitle("ann", f"t{number}")
        assert len(outbox(database)) == 12
        events.release()
        await published(events, database)
    assert titles(events, "ann") == ["-", *(f"t{number}" for number in range(10))]
    assert len(events.sent) == 12 and events.overtaking == 0 and titles(events, "bob") == ["-"]


async def test_a_row_is_deleted_only_once_the_broker_acknowledged_it(database):
    events = RecordingPublisher()
    async with emitter(database, events) as process:
        events.hold()
        await process.retitle("ann")
        await until(lambda: events.in_flight == 1)
        assert len(outbox(database)) == 1 and events.sent == []  # sent, not acknowledged: kept
        events.release()
        await published(events, database)
    [sent] = events.sent
    assert sent.topic == "scimflow.events" and sent.key == "t1:ann"
    assert dict(sent.headers)["content-type"].startswith(b"application/cloudevents+json")


async def test_events_wait_out_a_broker_that_refuses_them(database):
    events = RecordingPublisher()
    async with emitter(database, events) as process:
        events.failing = True
        await process.retitle("ann")
        await process.retitle("ann", "t1")
        await until(lambda: events.in_flight == 0 and len(outbox(database)) == 2)
        events.failing = False
        await published(events, database)
    assert titles(events, "ann") == ["-", "t1"]


async def test_a_restarted_process_publishes_what_it_left_in_order_under_the_same_ids(database):
    down = RecordingPublisher()
    down.failing = True
    async with emitter(database, down) as process:
        await process.retitle("ann")
        await process.retitle("ann", "t1")
    left = [event["id"] for _, _, event in outbox(database)]
    assert len(left) == 2 and down.sent == []
    events = RecordingPublisher()
    async with emitter(database, events):
        await published(events, database)
    assert [event.id for event in events.events()] == left and titles(events, "ann") == ["-", "t1"]


async def test_two_processes_on_one_file_keep_each_subjects_order(database):
    """Each relay publishes its own process's rows; a subject's row waits for the other's earlier one."""
    topic: list = []
    a_events, b_events = RecordingPublisher(topic), RecordingPublisher(topic)
    async with emitter(database, a_events, "a") as a, emitter(database, b_events, "b") as b:
        await a.retitle("ann")
        for number in range(12):
            await (a if number % 2 else b).retitle("ann", f"t{number}")
        await published(a_events, database)
    assert {sent.key for sent in topic} == {"t1:ann"} and len(topic) == 13
    assert a_events.acknowledged == 7 and b_events.acknowledged == 6  # each its own process's
    assert titles(a_events, "ann") == ["-", *(f"t{number}" for number in range(12))]


async def test_a_stuck_relay_coming_back_duplicates_but_never_reorders(database):
    """The process's relay holds its round (a broker that does not answer); another relay publishes the same
    rows meanwhile (as one adopting them would). The late duplicates come after newer events, and a
    consumer that drops ids it has seen still reads each subject in commit order."""
    events = RecordingPublisher()
    async with emitter(database, events) as process:
        events.hold()
        await process.retitle("ann")
        await until(lambda: events.in_flight == 1)
        await process.retitle("bob")
        for number in range(3):
            await process.retitle("ann", f"t{number}")
        other = Relay(process.uow, RecordingPublisher(events.sent), "t", clock=process.clock)
        while await other.publish_due():
            pass
        events.release()
        await published(events, database)
    ids = [event.id for event in events.events()]
    assert len(ids) == 5 + 1 and ids[-1] == ids[0]  # ann's first event, late, a second time
    assert titles(events, "ann") == ["-", "t0", "t1", "t2"] and titles(events, "bob") == ["-"]


async def test_another_copys_rows_are_adopted_once_they_are_old(database):
    clock = FakeClock()
    down = RecordingPublisher()
    down.failing = True
    async with emitter(database, down, "gone", clock=clock) as process:
        await process.retitle("ann")
    events = RecordingPublisher()
    async with emitter(database, events, "b", clock=clock) as process:
        relay = Relay(process.uow, events, "b", clock=clock)
        assert await relay.publish_due() == 0 and events.sent == []
        clock.advance((ADOPT_AFTER + timedelta(seconds=1)).total_seconds())
        await published(events, database)
    assert [event.subject for event in events.events()] == ["ann"]


class RefusingLarge(RecordingPublisher):
    """A broker that refuses records over a size, as Kafka refuses those over its limit."""

    async def send(self, topic, value, *, key, headers):
        if len(value) > 1_000:
            raise RecordTooLarge("too large")
        await super().send(topic, value, key=key, headers=headers)


async def test_an_event_the_bus_never_takes_is_dropped_and_its_subject_goes_on(database, caplog):
    events = RefusingLarge()
    async with emitter(database, events) as process:
        await process.retitle("ann", "x" * 2_000)
        await process.retitle("bob")
        await process.retitle("ann", "after")
        await published(events, database)
    assert titles(events, "ann") == ["after"] and titles(events, "bob") == ["-"]
    assert "event larger than the bus carries, dropped" in caplog.text
