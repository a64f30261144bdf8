"""The gateway's request id travels with the work it causes (issue 26, tracing): a command carries it in its
``request_id`` header, the worker serving it logs it as each line's ``correlation_id``, and what the worker
asks meanwhile carries it on, so one grep finds a request's lines in every service's log."""

from __future__ import annotations

import io
import logging

import orjson

from contracts import MessageMeta, Reply
from contracts.system.v1 import Ping, Pong
from contracts.topics import TopicSpec
from shared.logging import JsonFormatter, correlation
from shared.messaging.codec import decode_headers, encode_body, encode_headers
from shared.messaging.memory import InMemoryBus
from shared.messaging.requester import Requester
from shared.messaging.transport import Record
from shared.messaging.worker import handle_record

log = logging.getLogger("tests.request_id")


def record_of(meta: MessageMeta) -> Record:
    return Record("users.commands", 0, 0, None, encode_body(Ping()), tuple(encode_headers(meta)))


async def served_log_lines(meta: MessageMeta) -> list[dict]:
    """The JSON lines a handler logs while the worker serves a record with ``meta``."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("user_store"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)

    async def dispatch(message, meta: MessageMeta) -> Reply:
        log.info("working on it")
        return Reply.success(Pong(service="s", instance="i"))

    try:
        await handle_record(record_of(meta), dispatch, publisher=None, source="user_store.test")
    finally:
        log.removeHandler(handler)
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


async def test_a_served_command_logs_the_request_id_it_carries():
    [line] = await served_log_lines(MessageMeta(message_type=Ping.TYPE, request_id="okta-req-7"))
    assert (line["msg"], line["correlation_id"]) == ("working on it", "okta-req-7")


async def test_a_command_without_a_request_id_logs_its_own_message_id():
    meta = MessageMeta(message_type=Ping.TYPE)
    [line] = await served_log_lines(meta)
    assert line["correlation_id"] == meta.message_id


async def test_what_is_sent_while_serving_a_request_carries_its_id_on():
    bus = InMemoryBus()
    await bus.ensure_topics([TopicSpec("seats.commands", 1)])
    async with bus.publisher() as publisher, bus.reader("seats.commands", from_beginning=True) as reader:
        requester = Requester(publisher, "replies", source="user_store.test", timeout=1)
        with correlation("okta-req-8"):
            await requester.cast(Ping(), topic="seats.commands", key="t1")
        await requester.cast(Ping(), topic="seats.commands", key="t1")  # no request at hand
        records = await reader.fetch(1000)
    assert [decode_headers(record.headers).request_id for record in records] == ["okta-req-8", None]
