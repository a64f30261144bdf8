"""The closed set of error codes a service may answer with.

The first group mirrors RFC 7644 §3.12 ``scimType`` values so the gateway can pass them through;
the rest are ours. The gateway maps every code to an HTTP status in one table
(services/gateway/scim/errors.py); a code not listed there is a bug caught by a test.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    # RFC 7644 §3.12 scimType values
    UNIQUENESS = "uniqueness"
    INVALID_VALUE = "invalidValue"
    INVALID_FILTER = "invalidFilter"
    MUTABILITY = "mutability"
    NO_TARGET = "noTarget"
    INVALID_PATH = "invalidPath"
    INVALID_SYNTAX = "invalidSyntax"
    # ours
    NOT_FOUND = "notFound"
    PRECONDITION_FAILED = "preconditionFailed"  # If-Match did not match the current version
    INVALID_COMMAND = "invalidCommand"  # body did not validate against the contract
    UNKNOWN_COMMAND = "unknownCommand"  # no handler for this message type here
    INTERNAL = "internal"  # a handler crashed; details only in the service log
    UNAVAILABLE = "unavailable"  # a service this one depends on did not answer in time; retry later
    TOO_LARGE = "tooLarge"  # a command, or the resource it would store, is larger than the services carry
    TOO_MANY = "tooMany"  # RFC 7644 §3.12: the answer is larger than the services carry; ask for less
