"""Message <-> Kafka record parts: orjson bodies, plain-string headers."""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from pydantic import ValidationError

from contracts import MESSAGE_TYPES, ErrorCode, Headers, Message, MessageMeta, Reply
from contracts.envelope import CONTENT_TYPE_JSON

HeaderList = list[tuple[str, bytes]]


class DecodeError(Exception):
    """A record that cannot become a message; ``code`` says which way it is broken."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


_META_HEADERS = {
    "message_type": Headers.MESSAGE_TYPE,
    "message_id": Headers.MESSAGE_ID,
    "correlation_id": Headers.CORRELATION_ID,
    "reply_to": Headers.REPLY_TO,
    "deadline_ms": Headers.DEADLINE,
    "tenant_id": Headers.TENANT_ID,
    "source": Headers.SOURCE,
    "request_id": Headers.REQUEST_ID,
    "traceparent": Headers.TRACEPARENT,
}


def encode_headers(meta: MessageMeta) -> HeaderList:
    headers = [(Headers.CONTENT_TYPE, CONTENT_TYPE_JSON.encode())]
    for field, name in _META_HEADERS.items():
        value = getattr(meta, field)
        if value is not None:
            headers.append((name, str(value).encode()))
    return headers


def decode_headers(headers: Iterable[tuple[str, bytes]]) -> MessageMeta:
    raw = {name: value.decode("utf-8", "replace") for name, value in headers}
    fields = {field: raw[name] for field, name in _META_HEADERS.items() if name in raw}
    try:
        return MessageMeta(**fields)
    except ValidationError as exc:
        raise DecodeError(ErrorCode.INVALID_COMMAND, f"bad headers: {exc.errors()[0]['msg']}") from None


def encode_body(message: Message | Reply) -> bytes:
    return orjson.dumps(message.model_dump(mode="json", exclude_none=isinstance(message, Reply)))


def decode_message(meta: MessageMeta, value: bytes) -> Message:
    cls = MESSAGE_TYPES.get(meta.message_type)
    if cls is None:
        raise DecodeError(ErrorCode.UNKNOWN_COMMAND, f"unknown message type {meta.message_type!r}")
    try:
        return cls.model_validate(orjson.loads(value))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise DecodeError(ErrorCode.INVALID_COMMAND, f"{meta.message_type}: {_first_error(exc)}") from None


def decode_reply(value: bytes) -> Reply:
    return Reply.model_validate(orjson.loads(value))


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"])
        return f"{where}: {err['msg']}" if where else err["msg"]
    return "body is not valid JSON"
