"""Log floods cut short (shared/log_limits.py): aiokafka's retries while the broker is away."""

from __future__ import annotations

import io
import logging

import orjson
import pytest

from shared.log_limits import KafkaOutageFilter, Throttle
from shared.logging import JsonFormatter, configure_logging


class Clock:
    """Seconds, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Timers:
    """call_later that runs nothing by itself: the test fires what is due."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.pending: list[tuple[float, object]] = []

    def __call__(self, delay: float, callback) -> None:
        self.pending.append((self.clock.now + delay, callback))

    def advance(self, seconds: float) -> None:
        self.clock.now += seconds
        due = [entry for entry in self.pending if entry[0] <= self.clock.now]
        self.pending = [entry for entry in self.pending if entry[0] > self.clock.now]
        for _, callback in due:
            callback()


def kafka_record(name: str = "aiokafka", msg: str = "Unable connect to node with id %s: %s",
                 args: tuple = (1, "[Errno 111] Connection refused"), level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timers(clock: Clock) -> Timers:
    return Timers(clock)


@pytest.fixture
def lines(clock: Clock, timers: Timers):
    """The JSON lines a handler with the filter writes (the filter's own "answers again" line included)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    handler.addFilter(KafkaOutageFilter(every=30, quiet=10, clock=clock, call_later=timers))
    own = logging.getLogger("shared.log_limits")
    own.addHandler(handler)
    own.propagate = False
    yield handler, lambda: [orjson.loads(line) for line in stream.getvalue().splitlines()]
    own.removeHandler(handler)
    own.propagate = True


def test_throttle_admits_the_first_then_one_per_period_with_the_count_left_out(clock):
    throttle = Throttle(30, clock)
    assert throttle.admit("a") == 0
    assert [throttle.admit("a") for _ in range(5)] == [None] * 5
    assert throttle.admit("b") == 0  # each kind on its own
    clock.now += 30
    assert throttle.admit("a") == 5
    assert throttle.admit("a") is None


def test_an_outage_is_a_line_per_kind_then_a_reminder_every_30_s_then_one_when_errors_stop(lines, timers):
    """~85 lines a second per process while the broker was down; now a handful, and one saying it is over."""
    handler, written = lines
    for _ in range(16):  # the first 4 s of an outage: two kinds of line, 4 a second each
        timers.advance(0.25)
        handler.handle(kafka_record())
        handler.handle(kafka_record("aiokafka.consumer.fetcher", "Failed fetch messages from %s: %s", (1, "x")))
    assert [(e["logger"], e.get("left_out")) for e in written()] == [("aiokafka", None),
                                                                    ("aiokafka.consumer.fetcher", None)]
    for _ in range(104):  # until just before 30 s after the first line: nothing more
        timers.advance(0.25)
        handler.handle(kafka_record())
    assert len(written()) == 2
    timers.advance(0.25)
    handler.handle(kafka_record())  # 30 s after the first: the reminder, with the 119 left out between
    reminder = written()[-1]
    assert len(written()) == 3 and reminder["left_out"] == 119 and "Connection refused" in reminder["msg"]
    timers.advance(9.9)
    assert len(written()) == 3  # it is over only after 10 s without an error
    timers.advance(0.2)
    back = written()[-1]
    assert back["logger"] == "shared.log_limits" and "answers again" in back["msg"]
    assert (back["left_out"], back["errors_for_seconds"]) == (119 + 15, 30)


def test_after_an_outage_the_next_one_is_written_at_once(lines, timers):
    handler, written = lines
    handler.handle(kafka_record())
    handler.handle(kafka_record())
    timers.advance(11)  # over
    handler.handle(kafka_record())  # a new outage, a second after the last reminder would have been due
    assert [e["logger"] for e in written()] == ["aiokafka", "shared.log_limits", "aiokafka"]


def test_other_loggers_and_aiokafka_info_pass_untouched(lines):
    handler, written = lines
    for _ in range(3):
        handler.handle(kafka_record("services.gateway.middlewares", "unhandled error", ()))
        handler.handle(kafka_record("aiokafka.consumer.group_coordinator", "Joined group", (), logging.INFO))
    assert len(written()) == 6


def test_our_lines_marked_as_floods_are_throttled_without_the_mark_in_the_line(lines, timers):
    """A 503 per request while a service is away: one line, then one every 30 s with the count left out."""
    handler, written = lines
    for _ in range(50):
        timers.advance(0.1)
        record = kafka_record("services.gateway.middlewares", "request timed out waiting for a service", (),
                              logging.WARNING)
        record.may_flood = True
        handler.handle(record)
    timers.advance(30)
    record = kafka_record("services.gateway.middlewares", "request timed out waiting for a service", (), logging.WARNING)
    record.may_flood = True
    handler.handle(record)
    assert [e.get("left_out") for e in written()] == [None, 49]
    assert all("may_flood" not in e for e in written())


def test_every_process_logs_through_the_filter():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("test")
        assert any(isinstance(f, KafkaOutageFilter) for f in root.handlers[0].filters)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
