"""The service side: consume -> drop if expired -> dispatch -> reply -> commit.

The offset is committed only after the replies of a batch are published, so a crash anywhere in
between redelivers the command (at-least-once); handlers make that harmless (see
services/user_store/unit_of_work.py for the processed-message journal).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextvars import ContextVar
from typing import Any

from contracts import ErrorCode, MessageMeta, Reply
from contracts.envelope import REPLY_TYPE
from shared.logging import correlation
from shared.messaging.codec import (
    DecodeError,
    decode_headers,
    decode_message,
    encode_body,
    encode_headers,
)
from shared.messaging.transport import Bus, GroupConsumer, Publisher, Record

log = logging.getLogger(__name__)

Dispatch = Callable[..., Awaitable[Reply]]
POLL_MS = 200


async def run_worker(
    bus: Bus,
    *,
    topics: Sequence[str],
    group_id: str,
    dispatch: Dispatch,
    source: str,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve until ``stop`` is set; the batch in hand is finished and committed before returning."""
    async with bus.publisher() as publisher, bus.group_consumer(topics, group_id) as consumer:
        if ready is not None:
            ready.set()
        while not stop.is_set():
            records = await _fetch_unless_stopped(consumer, stop)
            await serve_batch(records, dispatch, publisher, source)
            if records:
                await consumer.commit(records)
                log.info("batch committed", extra={"served": _count_types(records)})


async def _fetch_unless_stopped(consumer: GroupConsumer, stop: asyncio.Event) -> Sequence[Record]:
    """A poll that ends at once when asked to stop; records it had not handed over are redelivered."""
    fetch = asyncio.ensure_future(consumer.fetch(POLL_MS))
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if fetch.done():
        return fetch.result()
    fetch.cancel()
    await asyncio.gather(fetch, return_exceptions=True)
    return []


def _count_types(records: Sequence[Record]) -> dict[str, int]:
    """Message types in a batch, read from headers only (cheap): what this instance served."""
    counts: dict[str, int] = {}
    for record in records:
        kind = next((v.decode() for k, v in record.headers if k == "message_type"), "?")
        counts[kind] = counts.get(kind, 0) + 1
    return counts


#: Keys served at once within a batch: enough to keep the store busy while some wait on another service.
LANES = 64

#: The sends of the batch being served, all acknowledged before its offsets are committed.
_batch_sends: ContextVar[list[asyncio.Future[None]] | None] = ContextVar("batch_sends", default=None)


async def send_with_batch(send: Coroutine[Any, Any, None]) -> None:
    """Start a side send (an event about a command, not its reply) without waiting for it: the batch
    awaits it with the replies before committing, so it is never lost, only no longer in the reply's
    way. Outside a batch (a handler called directly) it is simply awaited."""
    sends = _batch_sends.get()
    if sends is None:
        await send
    else:
        sends.append(asyncio.ensure_future(send))


async def serve_batch(records: Sequence[Record], dispatch: Dispatch, publisher: Publisher, source: str,
                      lanes: int = LANES) -> None:
    """Handle the records of one key in order, different keys concurrently (a key is one resource,
    contracts/topics.py: their order is all Kafka promises anyway). Each reply leaves as soon as it
    exists; all are acknowledged before the batch is committed."""
    sends: list[asyncio.Future[None]] = []
    room = asyncio.Semaphore(lanes)

    async def serve_lane(lane: list[Record]) -> None:
        async with room:
            for record in lane:
                if (send := await handle_record(record, dispatch, publisher, source)) is not None:
                    sends.append(asyncio.ensure_future(send))

    batch = _batch_sends.set(sends)  # the lanes' tasks copy this context
    try:
        await asyncio.gather(*(serve_lane(lane) for lane in by_key(records)))
    finally:
        _batch_sends.reset(batch)
    await asyncio.gather(*sends)


def by_key(records: Sequence[Record]) -> list[list[Record]]:
    """The records split into lanes by key, each in its original order; a record without a key is a lane."""
    lanes: dict[object, list[Record]] = {}
    for index, record in enumerate(records):
        lanes.setdefault(record.key if record.key is not None else index, []).append(record)
    return list(lanes.values())


async def handle_record(record: Record, dispatch: Dispatch, publisher: Publisher,
                        source: str) -> Coroutine[Any, Any, None] | None:
    """Apply one record; returns the sending of its reply (not yet started), if it wants one."""
    try:
        meta = decode_headers(record.headers)
    except DecodeError as exc:
        log.error("dropping record with unreadable headers: %s", exc.detail)
        return None
    with correlation(meta.message_id):
        if meta.expired():
            log.info("dropping expired command", extra={"message_type": meta.message_type})
            return None
        reply = await _answer(record, meta, dispatch)
    return send_reply(publisher, meta, reply, source) if meta.reply_to else None


async def _answer(record: Record, meta: MessageMeta, dispatch: Dispatch) -> Reply:
    try:
        message = decode_message(meta, record.value)
    except DecodeError as exc:
        return Reply.failure(exc.code, exc.detail)
    return await dispatch(message, meta)


async def send_reply(publisher: Publisher, request: MessageMeta, reply: Reply, source: str) -> None:
    meta = MessageMeta(
        message_type=REPLY_TYPE,
        correlation_id=request.message_id,
        tenant_id=request.tenant_id,
        source=source,
    )
    try:
        body = encode_body(reply)
    except (TypeError, ValueError):  # serialise-check before replying (nameko Responder)
        log.exception("reply not serialisable")
        body = encode_body(Reply.failure(ErrorCode.INTERNAL, "internal error", retryable=True))
    await publisher.send(request.reply_to, body, key=None, headers=encode_headers(meta))
