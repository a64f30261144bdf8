"""The service side: consume -> drop if expired -> dispatch -> reply -> commit.

Records are served as they arrive, not batch by batch: one key's records in order (a key is one
resource, contracts/topics.py: their order is all Kafka promises anyway), different keys at once, so
a command waiting on another service (a create on the seat allocator) holds up its own key only and
never the records fetched after it (bench/RESULTS.md: a batch barrier left the CPU a third idle).

A record is done once its reply and its side sends are acknowledged. Each partition's offset is
committed up to its first record not yet done, so a crash anywhere redelivers every unfinished
command (at-least-once); handlers make that harmless (see services/user_store/unit_of_work.py for
the processed-message journal). Every record is counted by type and outcome (shared/metrics/commands.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextvars import ContextVar
from typing import Any

from contracts import ErrorCode, MessageMeta, Reply
from contracts.envelope import REPLY_TYPE
from shared.log_limits import MAY_FLOOD
from shared.logging import correlation
from shared.messaging.codec import (
    DecodeError,
    decode_headers,
    decode_message,
    encode_body,
    encode_headers,
)
from shared.messaging.stopping import fetch_unless_stopped, unless_stopped
from shared.messaging.transport import (
    MAX_RECORD_MIB,
    Bus,
    ConsumerWatch,
    GroupConsumer,
    Publisher,
    Record,
    RecordTooLarge,
)
from shared.metrics import commands as served_metrics
from shared.tracing import consumer_span

log = logging.getLogger(__name__)

Dispatch = Callable[..., Awaitable[Reply]]
POLL_MS = 200

#: Records handled at once: enough to keep the store busy while some wait on another service.
LANES = 64
#: Records fetched and not yet done; the worker fetches no more until some are (back-pressure).
MAX_IN_FLIGHT = 512
#: Pause after a commit so that the records finishing meanwhile share the next one: a commit request per
#: record was a fair part of the broker's CPU. A crash redelivers at most this much more (harmless).
COMMIT_EVERY_SECONDS = 0.1
#: How often an instance logs what it served (per message type): what each copy of a service does.
SERVED_LOG_SECONDS = 5.0


async def run_worker(
    bus: Bus,
    *,
    topics: Sequence[str],
    group_id: str,
    dispatch: Dispatch,
    source: str,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
    watch: ConsumerWatch | None = None,
) -> None:
    """Serve until ``stop`` is set; the records in hand are finished and committed before returning.
    ``watch`` holds the group consumer while it serves (the ops port's readiness: shared/ops/)."""
    async with bus.publisher() as publisher, bus.group_consumer(topics, group_id) as consumer:
        pipeline = Pipeline(dispatch, publisher, source, consumer)
        if ready is not None:
            ready.set()
        if watch is not None:
            watch.consumer = consumer
        try:
            while not stop.is_set() and pipeline.failure is None:
                if pipeline.full and not await unless_stopped(pipeline.room(), stop):
                    break
                pipeline.take(await fetch_unless_stopped(consumer, stop, POLL_MS))
        finally:
            if watch is not None:
                watch.consumer = None
            await pipeline.drain()


#: The side sends of the record being handled, all acknowledged before its offset is committed.
_side_sends: ContextVar[list[asyncio.Future[None]] | None] = ContextVar("side_sends", default=None)
#: Lets the next record of the key of the record being handled start (see release_key).
_key_release: ContextVar[Callable[[], None] | None] = ContextVar("key_release", default=None)


async def send_before_commit(send: Coroutine[Any, Any, None]) -> None:
    """Start a side send (an event about a command, not its reply) without waiting for it: the record's
    offset is committed only once it is acknowledged, so it is never lost, only no longer in the reply's
    way. Outside a worker (a handler called directly) it is simply awaited."""
    sends = _side_sends.get()
    if sends is None:
        await send
    else:
        sends.append(asyncio.ensure_future(send))


def release_key() -> None:
    """Let the next record of this record's key start now, before this one is finished: for a handler
    whose remaining steps (its writes' COMMIT, its reply) no longer depend on the key's order, because
    its writes already hold their place in it. The seat allocator's commands are keyed by tenant, so a
    tenant's allocations are served one by one; released once its unit of work is in the writer's open
    transaction (shared/sqlite.Writer), the next one's unit joins that transaction and both share one
    COMMIT instead of one each. Outside a worker, nothing to do."""
    if (release := _key_release.get()) is not None:
        release()


class _Entry:
    """A fetched record, whether it is done, and whether its key's next record may start (released)."""

    __slots__ = ("done", "record", "released")

    def __init__(self, record: Record) -> None:
        self.record, self.done, self.released = record, False, False


class Progress:
    """Per partition, the records fetched and not yet committed, in fetch order: what can be committed
    is everything before the first one not done."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, int], deque[_Entry]] = {}
        self._committable: dict[tuple[str, int], Record] = {}
        self.in_flight = 0

    def fetched(self, record: Record) -> _Entry:
        entry = _Entry(record)
        self._open.setdefault((record.topic, record.partition), deque()).append(entry)
        self.in_flight += 1
        return entry

    def finished(self, entry: _Entry) -> None:
        entry.done, self.in_flight = True, self.in_flight - 1
        partition = (entry.record.topic, entry.record.partition)
        queue = self._open[partition]
        while queue and queue[0].done:
            self._committable[partition] = queue.popleft().record

    def take_committable(self) -> list[Record]:
        """The last record of each partition's done prefix since the previous call (commit them)."""
        records, self._committable = list(self._committable.values()), {}
        return records


class Pipeline:
    """Serves fetched records by key and commits what is done, one commit in flight at a time."""

    def __init__(self, dispatch: Dispatch, publisher: Publisher, source: str, consumer: GroupConsumer,
                 lanes: int = LANES, max_in_flight: int = MAX_IN_FLIGHT,
                 commit_every: float = COMMIT_EVERY_SECONDS) -> None:
        self._dispatch, self._publisher, self._source, self._consumer = dispatch, publisher, source, consumer
        self._commit_every = commit_every
        self._handling = asyncio.Semaphore(lanes)
        self._max_in_flight = max_in_flight
        self._progress = Progress()
        self._lanes: dict[object, deque[_Entry]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._room_freed = asyncio.Event()  # a record finished, or the pipeline failed
        self._to_commit = asyncio.Event()  # a record finished
        self._committer = asyncio.ensure_future(self._commit_as_records_finish())
        self._closing = False
        self._served = ServedLog()
        self.failure: BaseException | None = None

    def take(self, records: Sequence[Record]) -> None:
        """Start serving ``records``: a record joins its key's lane, or opens one."""
        for record in records:
            entry = self._progress.fetched(record)
            key = record.key if record.key is not None else entry  # no key: a lane of its own
            if (lane := self._lanes.get(key)) is not None:
                lane.append(entry)
            else:
                self._lanes[key] = deque([entry])
                self._start(self._serve_lane(key))

    @property
    def full(self) -> bool:
        return self._progress.in_flight >= self._max_in_flight

    async def room(self) -> None:
        """Return once fewer than the maximum records are in flight (or the pipeline failed)."""
        while self.full and self.failure is None:
            self._room_freed.clear()
            await self._room_freed.wait()

    async def drain(self) -> None:
        """Finish the records being handled (those still queued behind them are left to redelivery)
        and commit; re-raise what made the pipeline fail."""
        self._closing = True
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)  # a failed send: self.failure
        self._committer.cancel()
        await asyncio.gather(self._committer, return_exceptions=True)
        await self._commit()
        self._served.flush()
        if self.failure is not None:
            raise self.failure

    def _start(self, work: Coroutine[Any, Any, None] | asyncio.Future[None]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _serve_lane(self, key: object) -> None:
        lane, entry = self._lanes[key], None
        try:
            while lane and not self._closing and self.failure is None:
                entry = lane[0]
                await self._serve(key, entry)
                if entry.released:
                    return  # the lane went on in a task of its own
                lane.popleft()
        except Exception as error:  # noqa: BLE001 - handle_record answers every command; a bug: stop serving
            self._fail(error)
        finally:
            if entry is None or not entry.released:
                del self._lanes[key]

    async def _serve(self, key: object, entry: _Entry) -> None:
        sends: list[asyncio.Future[None]] = []
        async with self._handling:
            tokens = _side_sends.set(sends), _key_release.set(lambda: self._release(key, entry))
            try:
                reply = await handle_record(entry.record, self._dispatch, self._publisher, self._source)
            finally:
                _side_sends.reset(tokens[0])
                _key_release.reset(tokens[1])
        if reply is not None:
            sends.insert(0, self._start(reply))
        self._settle_when_sent(entry, sends)

    def _release(self, key: object, entry: _Entry) -> None:
        """``entry`` (its lane's first) leaves its lane; the lane's next record starts in a new task now."""
        if entry.released:
            return
        entry.released = True
        lane = self._lanes[key]
        lane.popleft()
        if lane and not self._closing:
            self._start(self._serve_lane(key))
        else:  # nothing queued behind it (or closing: the rest is left to redelivery)
            del self._lanes[key]

    def _settle_when_sent(self, entry: _Entry, sends: list[asyncio.Future[None]]) -> None:
        """The record is done once its sends are acknowledged; a failed send stops the worker, and its
        record, never committed, is redelivered to whoever serves the partition next. Most records
        have one send (their reply): a callback on it, not a task of their own, settles them."""
        if not sends:
            self._finished(entry)
            return
        # drain() waits for what is in self._tasks: the reply is already, a side send is not
        waited = self._start(sends[0] if len(sends) == 1 else _all_settled(sends))
        waited.add_done_callback(lambda _: self._after(entry, sends))

    def _after(self, entry: _Entry, sends: list[asyncio.Future[None]]) -> None:
        errors = [asyncio.CancelledError() if send.cancelled() else send.exception() for send in sends]
        # A side send's task was started in the handler's context, which holds this list: emptied, the
        # task is no longer in a reference cycle and is freed at once, not by the cycle collector.
        sends.clear()
        if (error := next((error for error in errors if error is not None), None)) is not None:
            self._fail(error)
            return
        self._finished(entry)

    def _finished(self, entry: _Entry) -> None:
        self._progress.finished(entry)
        self._served.count(entry.record)
        self._room_freed.set()
        self._to_commit.set()

    def _fail(self, error: BaseException) -> None:
        if self.failure is None:
            log.error("worker stops: %r", error)
            self.failure = error
        self._room_freed.set()

    async def _commit_as_records_finish(self) -> None:
        """Commit when records finished, at most every ``commit_every`` seconds."""
        while True:
            with contextlib.suppress(TimeoutError):  # idle: still log what was served
                async with asyncio.timeout(SERVED_LOG_SECONDS):
                    await self._to_commit.wait()
            self._to_commit.clear()
            try:
                await self._commit()
            except Exception as error:  # noqa: BLE001 - whatever failed, records are left uncommitted: stop serving
                self._fail(error)
                return
            self._served.flush_every(SERVED_LOG_SECONDS)
            await asyncio.sleep(self._commit_every)

    async def _commit(self) -> None:
        if records := self._progress.take_committable():
            await self._consumer.commit(records)


class ServedLog:
    """Counts of the message types done, logged every few seconds (one line per record was a real cost
    at load) and when the worker stops."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._since = time.monotonic()

    def count(self, record: Record) -> None:
        kind = next((value.decode() for name, value in record.headers if name == "message_type"), "?")
        self._counts[kind] = self._counts.get(kind, 0) + 1

    def flush_every(self, seconds: float) -> None:
        if time.monotonic() - self._since >= seconds:
            self.flush()

    def flush(self) -> None:
        if self._counts:
            log.info("served and committed", extra={"served": self._counts})
        self._counts, self._since = {}, time.monotonic()


async def handle_record(record: Record, dispatch: Dispatch, publisher: Publisher,
                        source: str) -> Coroutine[Any, Any, None] | None:
    """Apply one record; returns the sending of its reply (not yet started), if it wants one."""
    try:
        meta = decode_headers(record.headers)
    except DecodeError as exc:
        log.error("dropping record with unreadable headers: %s", exc.detail)
        served_metrics.dropped(served_metrics.UNKNOWN_TYPE, served_metrics.UNREADABLE)
        return None
    with correlation(meta.request_id or meta.message_id), consumer_span(meta, record.topic):
        if meta.expired():
            log.info("dropping expired command", extra={"message_type": meta.message_type, MAY_FLOOD: True})
            served_metrics.dropped(meta.message_type, served_metrics.EXPIRED)
            return None
        started = time.perf_counter()
        reply = await _answer(record, meta, dispatch)
        served_metrics.served(meta.message_type, reply, time.perf_counter() - started)
    return send_reply(publisher, meta.reply_to, meta, reply, source) if meta.reply_to else None


async def _all_settled(sends: list[asyncio.Future[None]]) -> None:
    await asyncio.gather(*sends, return_exceptions=True)


async def _answer(record: Record, meta: MessageMeta, dispatch: Dispatch) -> Reply:
    try:
        message = decode_message(meta, record.value)
    except DecodeError as exc:
        return Reply.failure(exc.code, exc.detail)
    return await dispatch(message, meta)


async def send_reply(publisher: Publisher, reply_to: str, request: MessageMeta, reply: Reply, source: str) -> None:
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
    headers = encode_headers(meta)
    try:
        await publisher.send(reply_to, body, key=None, headers=headers)
    except RecordTooLarge:  # the asker still gets an answer, and the worker goes on
        log.warning("reply too large for the bus", extra={"message_type": request.message_type, "bytes": len(body)})
        await publisher.send(reply_to, encode_body(TOO_LARGE_REPLY), key=None, headers=headers)


#: What the asker gets instead of an answer the bus cannot carry (a page of huge users, a group of
#: ~70 000 members): the request is repeatable with less (RFC 7644 §3.12 tooMany).
TOO_LARGE_REPLY = Reply.failure(
    ErrorCode.TOO_MANY, f"The answer is larger than the {MAX_RECORD_MIB} MiB the services exchange; "
    "ask for less: a smaller count, or excludedAttributes=members")
