"""aiohttp's server logger, as the gateway and the portal hand it to aiohttp (``handler_args``).

A request aiohttp cannot parse (a request line or header over the limit, too many headers, a bad URL, a
duplicate Content-Type) is answered 400 by aiohttp itself, and logged with its traceback at error level:
anyone, with no token, could fill the error log that way. Such a request costs us nothing and says
nothing about us, so it is one warning line, with no traceback, at most one every ``every`` seconds
(``left_out``: how many were not written). Everything else aiohttp logs passes as it was.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.log import server_logger

from shared.log_limits import Clock, Throttle

#: The client's own words (the request line, a header) in the reason: enough to recognise, no more.
REASON_MAX = 120


class ServerLog(logging.LoggerAdapter):
    def __init__(self, every: float = 60.0, clock: Clock = time.monotonic) -> None:
        super().__init__(server_logger, {})
        self._throttle = Throttle(every, clock)

    def exception(self, msg: Any, *args: Any, exc_info: Any = True, **kwargs: Any) -> None:
        if not isinstance(exc_info, HttpProcessingError):  # our bug, or aiohttp's: as aiohttp logs it
            super().exception(msg, *args, exc_info=exc_info, **kwargs)
        elif (left_out := self._throttle.admit(HttpProcessingError)) is not None:
            # self.logger: on Python 3.11 the adapter's own methods would drop ``extra``
            self.logger.warning("malformed HTTP request refused (%s): %s", exc_info.code, _reason(exc_info),
                                extra={"remote": args[0] if args else None, "left_out": left_out})


def _reason(error: HttpProcessingError) -> str:
    first_line = (error.message or type(error).__name__).splitlines()[0]
    return first_line if len(first_line) <= REASON_MAX else first_line[:REASON_MAX - 1] + "…"
