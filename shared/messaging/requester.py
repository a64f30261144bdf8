"""The caller side of request/reply: ``ask`` publishes and awaits the reply by correlation id.

One requester per gateway process: one publisher, one reader on this instance's own reply topic.
The future is registered *before* publishing (the reply may beat ``send`` back) and always removed
in ``finally``; replies nobody waits for any more are dropped at debug level.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from contracts import ErrorCode, Message, MessageMeta, Reply, Result
from contracts.topics import reply_topic
from shared.logging import current_correlation_id
from shared.messaging.codec import (
    DecodeError,
    decode_headers,
    decode_reply,
    encode_body,
    encode_headers,
)
from shared.messaging.stopping import fetch_unless_stopped
from shared.messaging.transport import (
    MAX_RECORD_MIB,
    Bus,
    Publisher,
    RecordTooLarge,
    TopicReader,
)
from shared.metrics.requests import AWAITING_REPLY, REPLY_TIMEOUTS
from shared.tracing import current_traceparent, producer_span

log = logging.getLogger(__name__)

ResultT = TypeVar("ResultT", bound=Result)


class RequestTimeout(Exception):
    """No reply within the deadline: the service is down, overloaded or partitioned away."""


class RemoteError(Exception):
    def __init__(self, code: ErrorCode, detail: str, retryable: bool = False) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.retryable = retryable


def unwrap(reply: Reply, result_type: type[ResultT]) -> ResultT:
    """The typed result of a successful reply; a failed one raises ``RemoteError``."""
    if not reply.ok:
        assert reply.error is not None
        raise RemoteError(reply.error.code, reply.error.detail, reply.error.retryable)
    return result_type.model_validate(reply.result)


class Requester:
    def __init__(self, publisher: Publisher, reply_topic: str, *, source: str, timeout: float) -> None:
        self._publisher = publisher
        self._reply_topic = reply_topic
        self._source = source
        self.timeout = timeout
        self._pending: dict[str, asyncio.Future[Reply]] = {}

    async def ask(
        self,
        command: Message,
        *,
        topic: str,
        key: str | None,
        tenant_id: str | None = None,
        timeout: float | None = None,
        message_id: str | None = None,
    ) -> Reply:
        """``message_id`` makes a repeated ask the same message to the service's journal (a retry)."""
        timeout = self.timeout if timeout is None else timeout
        with producer_span(command.TYPE, topic):
            return await self._ask(command, topic, key, tenant_id, timeout, message_id)

    async def _ask(self, command: Message, topic: str, key: str | None, tenant_id: str | None, timeout: float,
                   message_id: str | None) -> Reply:
        meta = self._meta(command, tenant_id, reply_to=self._reply_topic, timeout=timeout, message_id=message_id)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[meta.message_id] = future
        waiting = AWAITING_REPLY.labels(command.TYPE)
        waiting.inc()
        try:
            async with asyncio.timeout(timeout):
                await self._publisher.send(topic, encode_body(command), key=key, headers=encode_headers(meta))
                return await future
        except RecordTooLarge:
            raise RemoteError(ErrorCode.TOO_LARGE, f"The request is larger than the {MAX_RECORD_MIB} MiB "
                              "the services exchange") from None
        except TimeoutError:
            REPLY_TIMEOUTS.labels(command.TYPE).inc()
            raise RequestTimeout(f"no reply to {command.TYPE} within {timeout:.1f}s") from None
        finally:
            waiting.dec()
            self._pending.pop(meta.message_id, None)

    async def cast(self, message: Message, *, topic: str, key: str | None, tenant_id: str | None = None,
                   message_id: str | None = None) -> None:
        """Fire and forget (events, notifications); ``message_id`` lets the receiver drop a repeat."""
        with producer_span(message.TYPE, topic):
            meta = self._meta(message, tenant_id, reply_to=None, timeout=None, message_id=message_id)
            await self._publisher.send(topic, encode_body(message), key=key, headers=encode_headers(meta))

    def _meta(self, message: Message, tenant_id: str | None, *, reply_to: str | None,
              timeout: float | None, message_id: str | None = None) -> MessageMeta:
        deadline = None if timeout is None else int((time.time() + timeout) * 1000)
        return MessageMeta(
            **({"message_id": message_id} if message_id else {}),
            message_type=message.TYPE,
            reply_to=reply_to,
            deadline_ms=deadline,
            tenant_id=tenant_id,
            source=self._source,
            request_id=current_correlation_id(),  # so the services log the id of the request they serve
            traceparent=current_traceparent(),
        )

    async def consume_replies(self, reader: TopicReader, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for record in await fetch_unless_stopped(reader, stop, 200):
                self._resolve(record.headers, record.value)

    def _resolve(self, headers, value: bytes) -> None:
        try:
            meta = decode_headers(headers)
            future = self._pending.get(meta.correlation_id or "")
            if future is None or future.done():
                log.debug("reply for nobody", extra={"correlation_id": meta.correlation_id})
                return
            future.set_result(decode_reply(value))
        except (DecodeError, ValueError):
            log.warning("unreadable reply dropped")


@asynccontextmanager
async def open_requester(bus: Bus, *, instance: str, source: str, timeout: float) -> AsyncIterator[Requester]:
    """A requester for a service that asks another: its own reply topic, read until the block ends."""
    replies = reply_topic(instance)
    await bus.ensure_topics([replies])
    async with bus.publisher() as publisher, bus.reader(replies.name, from_beginning=False) as reader:
        requester = Requester(publisher, replies.name, source=source, timeout=timeout)
        stop = asyncio.Event()
        task = asyncio.create_task(requester.consume_replies(reader, stop))
        try:
            yield requester
        finally:
            # Cancelled (it only reads; nobody waits for a reply any more), and told to stop: on Python
            # 3.11 a cancel can be lost in a library's wait_for (gh-86296); then its next fetch ends it.
            stop.set()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
