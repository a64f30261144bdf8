"""The one table from service error codes to HTTP status and scimType (RFC 7644 §3.12)."""

from __future__ import annotations

from contracts import ErrorCode
from shared.scim.errors import ScimError

# ErrorCode -> (HTTP status, scimType). A test checks that every ErrorCode has a row.
REMOTE_ERRORS: dict[ErrorCode, tuple[int, str | None]] = {
    ErrorCode.UNIQUENESS: (409, "uniqueness"),
    ErrorCode.INVALID_VALUE: (400, "invalidValue"),
    ErrorCode.INVALID_FILTER: (400, "invalidFilter"),
    ErrorCode.MUTABILITY: (400, "mutability"),
    ErrorCode.NO_TARGET: (400, "noTarget"),
    ErrorCode.INVALID_PATH: (400, "invalidPath"),
    ErrorCode.INVALID_SYNTAX: (400, "invalidSyntax"),
    ErrorCode.NOT_FOUND: (404, None),
    ErrorCode.PRECONDITION_FAILED: (412, None),  # RFC 7644 §3.14
    ErrorCode.INVALID_COMMAND: (400, "invalidValue"),
    ErrorCode.UNKNOWN_COMMAND: (500, None),
    ErrorCode.INTERNAL: (500, None),
    ErrorCode.UNAVAILABLE: (503, None),
    ErrorCode.TOO_LARGE: (413, None),  # RFC 7644 §3.12: the request payload is too large
    ErrorCode.TOO_MANY: (400, "tooMany"),
}


#: How long a client is asked to wait when a service is down or slow (Okta and Entra honour it).
RETRY_AFTER_SECONDS = 5


def from_remote(code: ErrorCode, detail: str) -> ScimError:
    if code is ErrorCode.UNAVAILABLE:
        return unavailable()
    status, scim_type = REMOTE_ERRORS[code]
    if status >= 500:
        detail = "The service could not complete the request"  # internals stay in the service log
    return ScimError(status, detail, scim_type)


def unavailable(retry_after_seconds: int = RETRY_AFTER_SECONDS) -> ScimError:
    return ScimError(503, "The service is temporarily unavailable; retry later",
                     headers={"Retry-After": str(retry_after_seconds)})
