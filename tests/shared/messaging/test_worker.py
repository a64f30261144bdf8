"""The worker's batch: one key's records in order, different keys at once, replies not waited for one
by one (issue 8)."""

import asyncio

from contracts import MessageMeta, Reply
from contracts.system.v1 import Ping, Pong
from shared.messaging.codec import encode_body, encode_headers
from shared.messaging.transport import Record
from shared.messaging.worker import send_with_batch, serve_batch


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


def record(offset: int, key: bytes | None = None) -> Record:
    meta = MessageMeta(message_type=Ping.TYPE, reply_to=f"replies-{offset}")
    return Record("t", 0, offset, key, encode_body(Ping()), tuple(encode_headers(meta)))


class Publisher:
    async def send(self, topic: str, value: bytes, *, key, headers) -> None:
        return None


async def test_the_next_record_does_not_wait_for_the_previous_reply_and_the_batch_waits_for_all():
    publisher, handled = HeldPublisher(), []

    async def dispatch(message, meta: MessageMeta) -> Reply:
        handled.append(meta.reply_to)
        await asyncio.sleep(0)  # let the previous reply's send start
        return Reply.success(Pong(service="s", instance="i"))

    batch = asyncio.create_task(serve_batch([record(1), record(2), record(3)], dispatch, publisher, "src"))
    for _ in range(1000):  # bounded: with a worker that awaits each reply, this never gets to 3
        if len(publisher.started) == 3:
            break
        await asyncio.sleep(0)
    assert handled == ["replies-1", "replies-2", "replies-3"] and publisher.acknowledged == []
    assert not batch.done()  # the offsets must not be committed before every reply is acknowledged
    publisher.release.set()
    await asyncio.wait_for(batch, 5)
    assert sorted(publisher.acknowledged) == ["replies-1", "replies-2", "replies-3"]


async def test_one_keys_records_are_served_in_order_and_other_keys_meanwhile():
    """Key a's first command waits (say, on the seat allocator); key b's are served meanwhile, and a's
    second command only after a's first."""
    gate, log = asyncio.Event(), []

    async def dispatch(message, meta: MessageMeta) -> Reply:
        log.append(f"start {meta.reply_to}")
        if meta.reply_to == "replies-1":
            await gate.wait()
        log.append(f"end {meta.reply_to}")
        return Reply.success(Pong(service="s", instance="i"))

    batch = [record(1, b"a"), record(2, b"b"), record(3, b"a"), record(4, b"b"), record(5)]
    served = asyncio.create_task(serve_batch(batch, dispatch, Publisher(), "src"))
    for _ in range(1000):
        if "end replies-5" in log and "end replies-4" in log:
            break
        await asyncio.sleep(0)
    assert "end replies-4" in log and "start replies-3" not in log  # b went on; a's second waits for its first
    gate.set()
    await asyncio.wait_for(served, 5)
    assert log.index("end replies-1") < log.index("start replies-3")


async def test_a_side_send_does_not_delay_the_reply_and_the_batch_waits_for_it():
    """An event about a command (the user store's outcome report) leaves beside the reply; the batch is
    committed only once it is acknowledged too."""
    publisher, side_acknowledged = Publisher(), asyncio.Event()
    side_release, replies = asyncio.Event(), []

    async def side_send() -> None:
        await side_release.wait()
        side_acknowledged.set()

    async def dispatch(message, meta: MessageMeta) -> Reply:
        await send_with_batch(side_send())
        return Reply.success(Pong(service="s", instance="i"))

    async def send(topic: str, value: bytes, *, key, headers) -> None:
        replies.append(topic)

    publisher.send = send  # type: ignore[method-assign]
    batch = asyncio.create_task(serve_batch([record(1)], dispatch, publisher, "src"))
    for _ in range(1000):
        if replies:
            break
        await asyncio.sleep(0)
    assert replies == ["replies-1"] and not side_acknowledged.is_set()  # the reply did not wait
    assert not batch.done()  # ... but the commit does
    side_release.set()
    await asyncio.wait_for(batch, 5)
    assert side_acknowledged.is_set()


async def test_a_side_send_outside_a_batch_is_awaited():
    sent = []

    async def side_send() -> None:
        await asyncio.sleep(0)
        sent.append("report")

    await send_with_batch(side_send())
    assert sent == ["report"]
