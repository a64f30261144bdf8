"""The gateway's SCIM call log buffer: calls leave in batches (one message per interval, not one per
call), the buffer is bounded (the oldest go, counted), and what is left goes out on shutdown."""

from __future__ import annotations

import asyncio
import logging

import orjson
import pytest

from contracts.sync_status.scim_log_v1 import DETAIL_MAX, PATH_MAX, RecordScimCalls
from services.gateway.scim_api.call_log import ScimCallLog
from tests.support.clock import FakeClock

AT = FakeClock()()
ERROR = orjson.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409",
                      "scimType": "uniqueness", "detail": "userName 'joe' is already taken"})


class FakeSend:
    """The reporter's topic as the log sees it: what was sent, and a switch to make sends fail."""

    def __init__(self) -> None:
        self.sent: list[RecordScimCalls] = []
        self.failing = False
        self.arrived = asyncio.Event()

    async def __call__(self, batch: RecordScimCalls) -> None:
        if self.failing:
            raise ConnectionError("broker away")
        self.sent.append(batch)
        self.arrived.set()

    def paths(self) -> list[str]:
        return [call.path for batch in self.sent for call in batch.calls]


def record(log: ScimCallLog, path: str = "/scim/v2/Users", status: int = 200, body: bytes | None = None,
           tenant: str = "t1") -> None:
    log.record(tenant, AT, "GET", path, status, body, 3)


@pytest.fixture
def send() -> FakeSend:
    return FakeSend()


async def test_calls_of_one_interval_leave_in_one_message(send):
    log, stop = ScimCallLog(flush_seconds=0.05), asyncio.Event()
    runner = asyncio.create_task(log.run(send, stop))
    record(log, "/scim/v2/Users/0")
    for n in range(1, 5):
        await asyncio.sleep(0.001)  # the first call started the interval; these come during it
        record(log, f"/scim/v2/Users/{n}")
    await asyncio.wait_for(send.arrived.wait(), 2)
    assert len(send.sent) == 1 and send.paths() == [f"/scim/v2/Users/{n}" for n in range(5)]
    stop.set()
    log.wake()
    await asyncio.wait_for(runner, 2)


async def test_a_big_flush_is_cut_into_batches_and_every_call_has_its_own_id(send):
    log = ScimCallLog(batch_max=4)
    for n in range(10):
        record(log, f"/scim/v2/Users/{n}")
    assert await log.flush(send)
    assert [len(batch.calls) for batch in send.sent] == [4, 4, 2]
    assert len({call.call_id for batch in send.sent for call in batch.calls}) == 10
    assert len(log) == 0


async def test_stop_sends_what_is_left_at_once(send):
    log, stop = ScimCallLog(flush_seconds=3600), asyncio.Event()
    runner = asyncio.create_task(log.run(send, stop))
    record(log)
    await asyncio.sleep(0)  # the loop is now waiting out its hour
    stop.set()
    log.wake()
    await asyncio.wait_for(runner, 2)  # not an hour
    assert send.paths() == ["/scim/v2/Users"]


async def test_a_full_buffer_drops_the_oldest_and_counts_them(send, caplog):
    log = ScimCallLog(max_buffered=3)
    for n in range(5):
        record(log, f"/{n}")
    assert (len(log), log.dropped) == (3, 2)
    with caplog.at_level(logging.WARNING, "services.gateway.scim_api.call_log"):
        await log.flush(send)
    assert send.paths() == ["/2", "/3", "/4"]
    assert "2 oldest calls dropped" in caplog.text


async def test_a_failed_send_keeps_the_calls_for_the_next_try_within_the_bound(send):
    log = ScimCallLog(max_buffered=4)
    for n in range(3):
        record(log, f"/old{n}")
    send.failing = True
    assert not await log.flush(send)
    for n in range(2):  # calls that came while the broker was away: one old call no longer fits
        record(log, f"/new{n}")
    send.failing = False
    assert await log.flush(send)
    assert send.paths() == ["/old1", "/old2", "/new0", "/new1"] and log.dropped == 1


async def test_calls_that_came_during_a_failed_send_come_first_in_the_bound(send):
    """The failed batch is older than what arrived meanwhile: its oldest are the ones dropped."""
    log = ScimCallLog(max_buffered=4)

    async def busy_then_broken(batch: RecordScimCalls) -> None:
        for n in range(3):
            record(log, f"/during{n}")
        raise ConnectionError("broker away")

    for n in range(3):
        record(log, f"/before{n}")
    assert not await log.flush(busy_then_broken)
    await log.flush(send)
    assert send.paths() == ["/before2", "/during0", "/during1", "/during2"] and log.dropped == 2


async def test_a_send_that_hangs_is_given_up_and_retried():
    async def hang(batch: RecordScimCalls) -> None:
        await asyncio.Event().wait()

    log = ScimCallLog(send_timeout=0.01)
    record(log)
    assert not await log.flush(hang) and len(log) == 1


async def test_the_detail_is_the_errors_and_nothing_else_of_the_body(send):
    log = ScimCallLog()
    record(log, status=409, body=ERROR)
    record(log, status=500, body=b"<html>not json</html>")
    await log.flush(send)
    conflict, crash = send.sent[0].calls
    assert (conflict.detail, crash.detail) == ("userName 'joe' is already taken", None)
    assert "uniqueness" not in send.sent[0].model_dump_json()


async def test_the_path_is_kept_as_sent_cut_and_never_with_a_token(send):
    log = ScimCallLog()
    record(log, "/scim/v2/Users?filter=userName%20eq%20%22ann%40acme.example%22")
    record(log, "/scim/v2/Users?access_token=scf_0123abcd_s3cr3tS3cr3t-_x&count=1")
    record(log, "/scim/v2/Users?access_token=scf%5F0123abcd%5Fs3cr3t")
    record(log, "/scim/v2/Users?filter=" + "x" * 1000)
    record(log, status=400, body=orjson.dumps({"detail": "y" * 5000}))
    await log.flush(send)
    looked, leaked, encoded, long, long_detail = send.sent[0].calls
    assert looked.path == "/scim/v2/Users?filter=userName%20eq%20%22ann%40acme.example%22"  # the view decodes
    assert leaked.path == "/scim/v2/Users?access_token=scf_…&count=1"
    assert encoded.path == "/scim/v2/Users?access_token=scf%5F…"
    assert len(long.path) == PATH_MAX and long.path.endswith("…")
    assert len(long_detail.detail) == DETAIL_MAX
