"""Requests aiohttp cannot parse: each a 400, and together one warning line, not a traceback apiece
(shared.server_log.py). Sent byte for byte: a client library would refuse to send them."""

from __future__ import annotations

import asyncio
import logging

from aiohttp.http_exceptions import LineTooLong

from services.gateway.app import MAX_REQUEST_LINE
from shared.server_log import ServerLog

MALFORMED = {
    "a header over the limit": b"GET /scim/v2/Users HTTP/1.1\r\nHost: t\r\nX-A: " + b"a" * 9000 + b"\r\n\r\n",
    "a request line over the limit": b"GET /" + b"a" * MAX_REQUEST_LINE + b" HTTP/1.1\r\nHost: t\r\n\r\n",
    "2 000 headers": b"GET / HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(2000)) + b"\r\n",
    "a bad URL": b"GET /scim/v2/\xff HTTP/1.1\r\nHost: t\r\n\r\n",
    "a duplicate Content-Type": b"POST /scim/v2/Users HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                b"Content-Type: text/plain\r\nContent-Length: 0\r\n\r\n",
}


async def send_raw(client, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(raw)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    return answer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_malformed_requests_are_400_and_one_warning_line_without_traceback(gateway, caplog):
    caplog.set_level(logging.DEBUG, logger="aiohttp.server")
    for _ in range(3):
        for raw in MALFORMED.values():
            assert (await send_raw(gateway, raw)).startswith(b"HTTP/1.0 400 ")
    records = [r for r in caplog.records if r.name == "aiohttp.server" and r.levelno >= logging.INFO]
    assert [(r.levelname, r.exc_info) for r in records] == [("WARNING", None)]
    assert "malformed HTTP request refused (400)" in records[0].getMessage()
    assert records[0].remote == "127.0.0.1"


def test_one_line_per_period_saying_how_many_were_left_out(caplog):
    clock = Clock()
    server_log = ServerLog(every=60, clock=clock)
    caplog.set_level(logging.DEBUG, logger="aiohttp.server")
    for second in range(121):
        clock.now = second
        server_log.exception("Error handling request from %s", "192.0.2.1", exc_info=LineTooLong("x" * 300, "8190"))
    assert [(r.getMessage()[-8:], r.left_out) for r in caplog.records] == [("xxxxxxx…", 0)] + [("xxxxxxx…", 59)] * 2
    assert len(caplog.records[0].getMessage()) < 200  # the client's bytes, cut


def test_other_exceptions_keep_their_traceback_at_error_level(caplog):
    server_log = ServerLog()
    for _ in range(2):
        server_log.exception("Unhandled exception", exc_info=RuntimeError("our bug"))
    assert [(r.levelname, r.exc_info[1].args) for r in caplog.records] == [("ERROR", ("our bug",))] * 2
