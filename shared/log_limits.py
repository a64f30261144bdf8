"""Floods of the same log line, cut to a line now and then that says how many were left out.

Floods nobody needs line by line: aiokafka's retries while the broker is away (each try an error
line, ~85 a second per process), the lines our own code writes per request or command while it is
(MAY_FLOOD), and requests aiohttp cannot parse (anyone can send them, no token needed;
shared/server_log.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable

log = logging.getLogger(__name__)

Clock = Callable[[], float]
CallLater = Callable[[float, Callable[[], None]], None]


class Throttle:
    """At most one line of a kind every ``every`` seconds, the first at once."""

    def __init__(self, every: float, clock: Clock = time.monotonic) -> None:
        self.every = every
        self._clock = clock
        self._kinds: dict[Hashable, tuple[float, int]] = {}  # kind -> (last written at, left out since)

    def admit(self, kind: Hashable) -> int | None:
        """None: leave this line out. Otherwise write it: the number is how many of its kind were left out
        since the last one written."""
        now = self._clock()
        written_at, left_out = self._kinds.get(kind, (None, 0))
        if written_at is not None and now - written_at < self.every:
            self._kinds[kind] = (written_at, left_out + 1)
            return None
        self._kinds[kind] = (now, 0)
        return left_out

    def forget(self) -> None:
        self._kinds.clear()


#: ``extra={MAY_FLOOD: True}`` on a line written once per request or command that fails while a broker or
#: service is away (a 503, an expired command, a relay's retry): throttled as aiokafka's lines are.
MAY_FLOOD = "may_flood"


class KafkaOutageFilter(logging.Filter):
    """On the log handler: aiokafka's warnings and errors, one line per logger and message template, then
    one every ``every`` seconds with ``left_out`` (how many were not written); and once no aiokafka
    warning or error came for ``quiet`` seconds, one line that says so. Lines marked MAY_FLOOD are
    throttled the same way; other loggers' records pass."""

    def __init__(self, every: float = 30.0, quiet: float = 10.0, clock: Clock = time.monotonic,
                 call_later: CallLater | None = None) -> None:
        super().__init__()
        self._throttle = Throttle(every, clock)
        self._quiet = quiet
        self._clock = clock
        self._call_later = call_later or _call_later_on_running_loop
        self._first: float | None = None  # when the first of this run of errors came; None: none lately
        self._last = 0.0
        self._left_out = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, MAY_FLOOD, False):
            return self._admit(record)
        if record.levelno < logging.WARNING or not record.name.startswith("aiokafka"):
            return True
        self._last = self._clock()
        if self._first is None:
            self._first = self._last
            self._call_later(self._quiet, self._check_quiet)
        if not self._admit(record):
            self._left_out += 1
            return False
        return True

    def _admit(self, record: logging.LogRecord) -> bool:
        left_out = self._throttle.admit((record.name, str(record.msg)))
        if left_out is None:
            return False
        if left_out:
            record.left_out = left_out  # a field of the JSON line (shared/logging.py)
        return True

    def _check_quiet(self) -> None:
        if self._first is None:
            return
        quiet_for = self._clock() - self._last
        if quiet_for < self._quiet:
            self._call_later(self._quiet - quiet_for, self._check_quiet)
            return
        log.warning("no aiokafka warning or error for %.0f s: Kafka answers again", self._quiet,
                    extra={"left_out": self._left_out, "errors_for_seconds": round(self._last - self._first)})
        self._first, self._left_out = None, 0
        self._throttle.forget()  # a later outage's first lines are written at once


def _call_later_on_running_loop(delay: float, callback: Callable[[], None]) -> None:
    # aiokafka logs from its tasks, so there is a running loop; without one there is only no "answers again" line
    try:
        asyncio.get_running_loop().call_later(delay, callback)
    except RuntimeError:
        pass
