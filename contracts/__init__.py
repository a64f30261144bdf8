"""Wire contracts: versioned pydantic models for every command, result and event."""

from contracts.base import Command, Event, Message, Query, Result
from contracts.catalog import MESSAGE_CLASSES, MESSAGE_TYPES
from contracts.envelope import ErrorBody, Headers, MessageMeta, Reply
from contracts.errors import ErrorCode

CONTRACTS_VERSION = "1"

__all__ = [
    "CONTRACTS_VERSION",
    "Command",
    "ErrorBody",
    "ErrorCode",
    "Event",
    "Headers",
    "MESSAGE_CLASSES",
    "MESSAGE_TYPES",
    "Message",
    "MessageMeta",
    "Query",
    "Reply",
    "Result",
]
