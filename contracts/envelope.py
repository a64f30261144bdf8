"""Envelope: what travels around a message body, and the reply shape.

Header names match FastStream's (``content-type``, ``correlation_id``, ``reply_to``) so its tooling
reads our messages; the rest are ours. Values are utf-8 strings.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.errors import ErrorCode


class Headers:
    CONTENT_TYPE = "content-type"
    MESSAGE_TYPE = "message_type"
    MESSAGE_ID = "message_id"
    CORRELATION_ID = "correlation_id"
    REPLY_TO = "reply_to"
    DEADLINE = "deadline"  # epoch milliseconds; past it nobody waits for the answer
    TENANT_ID = "tenant_id"
    SOURCE = "source"  # instance that produced the message (ops: who served this reply)
    REQUEST_ID = "request_id"  # the gateway's request id (X-Request-Id): every process logs it with its work
    TRACEPARENT = "traceparent"  # W3C trace context of the sending span, when tracing is on


CONTENT_TYPE_JSON = "application/json"


class MessageMeta(BaseModel):
    """Typed view of the headers of one message."""

    model_config = ConfigDict(frozen=True)

    message_type: str
    message_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    correlation_id: str | None = None
    reply_to: str | None = None
    deadline_ms: int | None = None
    tenant_id: str | None = None
    source: str | None = None
    request_id: str | None = None
    traceparent: str | None = None

    def expired(self, now_ms: int | None = None) -> bool:
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        return self.deadline_ms is not None and now_ms > self.deadline_ms


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: ErrorCode
    detail: str
    retryable: bool = False


class Reply(BaseModel):
    """``{"ok": true, "result": {...}}`` or ``{"ok": false, "error": {...}}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    result: dict[str, Any] | None = None
    error: ErrorBody | None = None

    @classmethod
    def success(cls, result: BaseModel) -> Reply:
        return cls(ok=True, result=result.model_dump(mode="json"))

    @classmethod
    def failure(cls, code: ErrorCode, detail: str, *, retryable: bool = False) -> Reply:
        return cls(ok=False, error=ErrorBody(code=code, detail=detail, retryable=retryable))


REPLY_TYPE = "reply.v1"
