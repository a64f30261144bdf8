"""The worker's batch: records handled in order, replies not waited for one by one (issue 8)."""

import asyncio

from contracts import MessageMeta, Reply
from contracts.system.v1 import Ping, Pong
from shared.messaging.codec import encode_body, encode_headers
from shared.messaging.transport import Record
from shared.messaging.worker import serve_batch


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


def record(offset: int) -> Record:
    meta = MessageMeta(message_type=Ping.TYPE, reply_to=f"replies-{offset}")
    return Record("t", 0, offset, None, encode_body(Ping()), tuple(encode_headers(meta)))


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
