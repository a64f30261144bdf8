"""Structured logs: one JSON object per line on stderr, with the correlation id of the work at hand."""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import orjson

from shared.log_limits import MAY_FLOOD, KafkaOutageFilter

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

# LogRecord's own attributes; anything else on a record came from ``extra=`` and is logged as a field
# (but the mark for the flood filter).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", MAY_FLOOD}


def current_correlation_id() -> str | None:
    """The id of the work at hand, for the messages it sends (``MessageMeta.request_id``)."""
    return _correlation_id.get()


@contextmanager
def correlation(correlation_id: str | None) -> Iterator[None]:
    token = _correlation_id.set(correlation_id)
    try:
        yield
    finally:
        _correlation_id.reset(token)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            "correlation_id": _correlation_id.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(KafkaOutageFilter())  # on the handler: a logger's filter misses its children's records
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # Alembic says which backend it found at every start; what the migrations did is shared/store/backend's line.
    logging.getLogger("alembic").setLevel(logging.WARNING)
