"""Command type -> handler, and the guarantee that every call ends in a Reply.

A service declares ``HANDLERS = {CommandClass: handler, ...}`` at the bottom of its handlers.py;
its bootstrap wraps that in a ``Dispatcher`` with the service's dependencies. Handlers signal a
business failure by raising ``CommandFailed``; anything else they raise becomes an ``internal``
error reply (the traceback goes to the log only), so a caller never waits out a timeout because a
handler crashed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

from contracts import ErrorCode, Message, MessageMeta, Reply, Result

log = logging.getLogger(__name__)

DepsT = TypeVar("DepsT")
Handler = Callable[[Any, MessageMeta, DepsT], Awaitable[Result]]


class CommandFailed(Exception):
    """A handler's answer that the command cannot be done, with a code from the closed enum."""

    def __init__(self, code: ErrorCode, detail: str, *, retryable: bool = False) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retryable = retryable


class Dispatcher(Generic[DepsT]):
    def __init__(self, handlers: Mapping[type[Message], Handler[DepsT]], deps: DepsT) -> None:
        self.handlers = dict(handlers)
        self.deps = deps

    @property
    def message_types(self) -> set[str]:
        return {cls.TYPE for cls in self.handlers}

    async def __call__(self, message: Message, meta: MessageMeta) -> Reply:
        handler = self.handlers.get(type(message))
        if handler is None:
            return Reply.failure(ErrorCode.UNKNOWN_COMMAND, f"no handler for {meta.message_type}")
        try:
            return Reply.success(await handler(message, meta, self.deps))
        except CommandFailed as failed:
            return Reply.failure(failed.code, failed.detail, retryable=failed.retryable)
        except Exception:
            log.exception("handler crashed", extra={"message_type": meta.message_type})
            return Reply.failure(ErrorCode.INTERNAL, "internal error", retryable=True)


def tenant_of(meta: MessageMeta) -> str:
    """The tenant a command is about: the envelope header, never a body field (so it can't be forged)."""
    if not meta.tenant_id:
        raise CommandFailed(ErrorCode.INVALID_COMMAND, "tenant_id header is required")
    return meta.tenant_id
