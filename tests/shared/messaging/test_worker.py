"""The worker's pipeline: one key's records in order, different keys at once, records fetched later not
held up by earlier ones, replies not waited for one by one, and offsets committed only up to the first
record not done (issue 8)."""

import asyncio
import logging
import weakref

import pytest

from contracts import MessageMeta, Reply
from contracts.system.v1 import Ping, Pong
from shared.messaging.codec import encode_body, encode_headers
from shared.messaging.transport import Record
from shared.messaging.worker import Pipeline, ServedLog, release_key, send_before_commit
from tests.support.refcounting import cycle_collector_off


class HeldPublisher:
    """Accepts each send but acknowledges it only when the test releases it."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started: list[str] = []
        self.acknowledged: list[str] = []

    async def send(self, topic: str, value: bytes, *, key, headers) -> None:
        self.started.append(topic)
        await self.release.wait()
        self.acknowledged.append(topic)


class Publisher:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, topic: str, value: bytes, *, key, headers) -> None:
        self.sent.append(topic)


class Consumer:
    """Records what the pipeline commits: per partition, the next offset to read."""

    def __init__(self) -> None:
        self.committed: dict[tuple[str, int], int] = {}
        self.commits = 0

    async def commit(self, records) -> None:
        self.commits += 1
        for record in records:
            self.committed[(record.topic, record.partition)] = record.offset + 1


def record(offset: int, key: bytes | None = None, partition: int = 0) -> Record:
    meta = MessageMeta(message_type=Ping.TYPE, reply_to=f"replies-{offset}")
    return Record("t", partition, offset, key, encode_body(Ping()), tuple(encode_headers(meta)))


def pong() -> Reply:
    return Reply.success(Pong(service="s", instance="i"))


async def until(condition, seconds: float = 5.0) -> None:
    """Let the loop run until ``condition()`` holds (bounded: fails rather than hangs)."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.001)


class Gates:
    """A dispatch that holds the records whose reply topic the test names until it opens them."""

    def __init__(self, *held: str) -> None:
        self.gates = {name: asyncio.Event() for name in held}
        self.log: list[str] = []

    async def __call__(self, message, meta: MessageMeta) -> Reply:
        self.log.append(f"start {meta.reply_to}")
        if (gate := self.gates.get(meta.reply_to)) is not None:
            await gate.wait()
        self.log.append(f"end {meta.reply_to}")
        return pong()

    def open(self, name: str) -> None:
        self.gates[name].set()


async def test_the_next_record_does_not_wait_for_the_previous_reply_and_the_commit_waits_for_all():
    publisher, consumer, handled = HeldPublisher(), Consumer(), []

    async def dispatch(message, meta: MessageMeta) -> Reply:
        handled.append(meta.reply_to)
        await asyncio.sleep(0)  # let the previous reply's send start
        return pong()

    pipeline = Pipeline(dispatch, publisher, "src", consumer)
    pipeline.take([record(1), record(2), record(3)])
    await until(lambda: len(publisher.started) == 3)  # a worker awaiting each reply never gets to 3
    assert handled == ["replies-1", "replies-2", "replies-3"] and publisher.acknowledged == []
    assert consumer.committed == {}  # nothing is committed before its reply is acknowledged
    publisher.release.set()
    await until(lambda: consumer.committed == {("t", 0): 4})
    await pipeline.drain()
    assert sorted(publisher.acknowledged) == ["replies-1", "replies-2", "replies-3"]


async def test_one_keys_records_are_served_in_order_and_other_keys_meanwhile():
    """Key a's first command waits (say, on the seat allocator); key b's are served meanwhile, and a's
    second command only after a's first."""
    dispatch = Gates("replies-1")
    pipeline = Pipeline(dispatch, Publisher(), "src", Consumer())
    pipeline.take([record(1, b"a"), record(2, b"b"), record(3, b"a"), record(4, b"b"), record(5)])
    await until(lambda: "end replies-5" in dispatch.log and "end replies-4" in dispatch.log)
    assert "start replies-3" not in dispatch.log  # b went on; a's second waits for its first
    dispatch.open("replies-1")
    await until(lambda: "end replies-3" in dispatch.log)
    assert dispatch.log.index("end replies-1") < dispatch.log.index("start replies-3")
    await pipeline.drain()


async def test_records_fetched_later_are_served_while_an_earlier_one_waits():
    """No batch barrier: what arrives after a waiting command is served at once, its own key's included
    in order behind it."""
    dispatch, consumer = Gates("replies-1"), Consumer()
    pipeline = Pipeline(dispatch, Publisher(), "src", consumer)
    pipeline.take([record(1, b"a")])
    await until(lambda: "start replies-1" in dispatch.log)
    pipeline.take([record(2, b"b"), record(3, b"a")])
    await until(lambda: "end replies-2" in dispatch.log)
    assert "start replies-3" not in dispatch.log
    dispatch.open("replies-1")
    await until(lambda: "end replies-3" in dispatch.log)
    await pipeline.drain()
    assert consumer.committed == {("t", 0): 4}


async def test_offsets_are_committed_up_to_the_first_record_not_done_per_partition():
    dispatch, consumer = Gates("replies-1"), Consumer()
    pipeline = Pipeline(dispatch, Publisher(), "src", consumer)
    pipeline.take([record(1, b"a"), record(2, b"b"), record(3, b"c", partition=1)])
    await until(lambda: "end replies-2" in dispatch.log and consumer.committed.get(("t", 1)) == 4)
    await asyncio.sleep(0.01)
    assert ("t", 0) not in consumer.committed  # 2 is done, but 1 before it is not: a crash redelivers both
    dispatch.open("replies-1")
    await until(lambda: consumer.committed.get(("t", 0)) == 3)
    await pipeline.drain()


class Releasing(Gates):
    """Gates whose named records let their key's next record start (release_key) before they wait."""

    def __init__(self, *held: str, releasing: tuple[str, ...]) -> None:
        super().__init__(*held)
        self.releasing = releasing

    async def __call__(self, message, meta: MessageMeta) -> Reply:
        if meta.reply_to in self.releasing:
            release_key()
            release_key()  # a second call changes nothing
        return await super().__call__(message, meta)


async def test_a_record_that_releases_its_key_lets_the_next_start_and_order_holds_for_the_rest():
    """The allocator's tenant-keyed commands: once a command's writes hold their place, the tenant's next
    one starts while the first waits for its COMMIT; a record that does not release keeps the order."""
    dispatch, consumer = Releasing("replies-1", "replies-2", releasing=("replies-1",)), Consumer()
    pipeline = Pipeline(dispatch, Publisher(), "src", consumer)
    pipeline.take([record(1, b"a"), record(2, b"a"), record(3, b"a")])
    await until(lambda: "start replies-2" in dispatch.log)  # 1 still waits
    await asyncio.sleep(0.01)
    assert "start replies-3" not in dispatch.log and consumer.committed == {}
    dispatch.open("replies-2")
    await until(lambda: "end replies-3" in dispatch.log)
    await asyncio.sleep(0.01)
    assert consumer.committed == {}  # 2 and 3 are done, 1 before them is not
    pipeline.take([record(4, b"a")])  # the key's lane went on without 1: a new record joins it
    await until(lambda: "end replies-4" in dispatch.log)
    dispatch.open("replies-1")
    await until(lambda: consumer.committed == {("t", 0): 5})
    await pipeline.drain()


async def test_a_released_record_is_still_finished_when_draining():
    dispatch, consumer = Releasing("replies-1", "replies-2", releasing=("replies-1",)), Consumer()
    pipeline = Pipeline(dispatch, Publisher(), "src", consumer)
    pipeline.take([record(1, b"a"), record(2, b"a"), record(3, b"a")])
    await until(lambda: "start replies-2" in dispatch.log)
    draining = asyncio.create_task(pipeline.drain())
    dispatch.open("replies-1")
    dispatch.open("replies-2")
    await asyncio.wait_for(draining, 5)
    assert "start replies-3" not in dispatch.log and consumer.committed == {("t", 0): 3}


async def test_records_finishing_close_together_share_a_commit():
    consumer = Consumer()
    pipeline = Pipeline(Gates(), Publisher(), "src", consumer, commit_every=0.3)
    pipeline.take([record(1, b"a")])
    await until(lambda: consumer.committed == {("t", 0): 2})
    pipeline.take([record(2, b"b")])
    pipeline.take([record(3, b"c")])
    await until(lambda: consumer.committed == {("t", 0): 4})
    assert consumer.commits == 2  # one for 1, one for 2 and 3 together
    await pipeline.drain()


async def test_a_side_send_does_not_delay_the_reply_and_the_commit_waits_for_it():
    """An event about a command (the user store's outcome report) leaves beside the reply; the command's
    offset is committed only once it is acknowledged too."""
    publisher, consumer = Publisher(), Consumer()
    side_release, side_acknowledged = asyncio.Event(), asyncio.Event()

    async def side_send() -> None:
        await side_release.wait()
        side_acknowledged.set()

    async def dispatch(message, meta: MessageMeta) -> Reply:
        await send_before_commit(side_send())
        return pong()

    pipeline = Pipeline(dispatch, publisher, "src", consumer)
    pipeline.take([record(1)])
    await until(lambda: publisher.sent == ["replies-1"])  # the reply did not wait
    await asyncio.sleep(0.01)
    assert not side_acknowledged.is_set() and consumer.committed == {}  # ... but the commit does
    side_release.set()
    await until(lambda: consumer.committed == {("t", 0): 2})
    await pipeline.drain()


async def test_a_settled_records_side_send_is_freed_at_once_not_by_the_cycle_collector():
    """Its task was started in the handler's context, which holds the record's list of side sends."""
    consumer, side_sends = Consumer(), []

    async def side_send() -> None:
        await asyncio.sleep(0)

    async def dispatch(message, meta: MessageMeta) -> Reply:
        send = side_send()
        side_sends.append(weakref.ref(send))
        await send_before_commit(send)
        return pong()

    with cycle_collector_off():
        pipeline = Pipeline(dispatch, Publisher(), "src", consumer)
        pipeline.take([record(1), record(2, b"k")])
        await until(lambda: consumer.committed == {("t", 0): 3})
        await pipeline.drain()
        assert len(side_sends) == 2 and all(send() is None for send in side_sends)


async def test_a_side_send_outside_a_worker_is_awaited():
    sent = []

    async def side_send() -> None:
        await asyncio.sleep(0)
        sent.append("report")

    await send_before_commit(side_send())
    assert sent == ["report"]


async def test_no_more_is_taken_while_the_maximum_is_in_flight():
    dispatch = Gates("replies-1", "replies-2")
    pipeline = Pipeline(dispatch, Publisher(), "src", Consumer(), max_in_flight=2)
    pipeline.take([record(1, b"a"), record(2, b"b")])
    assert pipeline.full
    room = asyncio.create_task(pipeline.room())
    await asyncio.sleep(0.01)
    assert not room.done()
    dispatch.open("replies-2")
    await asyncio.wait_for(room, 5)
    assert not pipeline.full
    dispatch.open("replies-1")
    await pipeline.drain()


async def test_a_failed_reply_stops_the_pipeline_and_its_record_is_not_committed():
    consumer = Consumer()

    class Broken:
        async def send(self, topic: str, value: bytes, *, key, headers) -> None:
            if topic == "replies-2":
                raise ConnectionError("broker gone")

    pipeline = Pipeline(Gates(), Broken(), "src", consumer)
    pipeline.take([record(1, b"a"), record(2, b"b"), record(3, b"c")])
    await until(lambda: pipeline.failure is not None)
    with pytest.raises(ConnectionError):
        await pipeline.drain()
    assert consumer.committed.get(("t", 0), 0) <= 2  # 2 and what follows it are redelivered


async def test_draining_finishes_what_is_being_handled_and_leaves_the_queued_to_redelivery():
    dispatch, consumer = Gates("replies-1"), Consumer()
    pipeline = Pipeline(dispatch, Publisher(), "src", consumer)
    pipeline.take([record(1, b"a"), record(2, b"a"), record(3, b"a")])
    await until(lambda: "start replies-1" in dispatch.log)
    draining = asyncio.create_task(pipeline.drain())
    await asyncio.sleep(0.01)
    assert not draining.done()  # the command being handled is finished, not dropped
    dispatch.open("replies-1")
    await asyncio.wait_for(draining, 5)
    assert "start replies-2" not in dispatch.log and consumer.committed == {("t", 0): 2}


def test_what_was_served_is_logged_as_counts_per_type(caplog):
    caplog.set_level(logging.INFO, logger="shared.messaging.worker")
    served = ServedLog()
    for offset, kind in enumerate(["users.create_user.v1", "users.create_user.v1", "users.get_user.v1"]):
        served.count(Record("t", 0, offset, None, b"{}", (("message_type", kind.encode()),)))
    served.flush_every(3600)
    assert caplog.records == []  # not yet: a line every few seconds, not one per record
    served.flush()
    served.flush()  # nothing new: no line
    lines = [r for r in caplog.records if r.getMessage() == "served and committed"]
    assert [line.served for line in lines] == [{"users.create_user.v1": 2, "users.get_user.v1": 1}]


async def test_draining_waits_for_the_side_send_of_a_cast_and_then_commits_it():
    """A cast (no reply) whose only send is a side send: draining still waits for it."""
    consumer, release = Consumer(), asyncio.Event()
    sent: list[str] = []

    async def side_send() -> None:
        await release.wait()
        sent.append("report")

    async def dispatch(message, meta: MessageMeta) -> Reply:
        await send_before_commit(side_send())
        return pong()

    cast = Record("t", 0, 1, None, encode_body(Ping()), tuple(encode_headers(MessageMeta(message_type=Ping.TYPE))))
    pipeline = Pipeline(dispatch, Publisher(), "src", consumer)
    pipeline.take([cast])
    await asyncio.sleep(0.01)
    draining = asyncio.create_task(pipeline.drain())
    await asyncio.sleep(0.01)
    assert not draining.done()
    release.set()
    await asyncio.wait_for(draining, 5)
    assert sent == ["report"] and consumer.committed == {("t", 0): 2}
