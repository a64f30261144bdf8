"""SCIM errors (RFC 7644 §3.12) and the one table from service error codes to HTTP status."""

from __future__ import annotations

from contracts import ErrorCode

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """The one exception views raise; rendered as an RFC 7644 §3.12 Error body."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        """RFC 7644 §3.12: ``status`` is a string; ``scimType`` only where the RFC defines one."""
        body: dict[str, object] = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


# ErrorCode -> (HTTP status, scimType). A test checks that every ErrorCode has a row.
REMOTE_ERRORS: dict[ErrorCode, tuple[int, str | None]] = {
    ErrorCode.UNIQUENESS: (409, "uniqueness"),
    ErrorCode.INVALID_VALUE: (400, "invalidValue"),
    ErrorCode.INVALID_FILTER: (400, "invalidFilter"),
    ErrorCode.MUTABILITY: (400, "mutability"),
    ErrorCode.NO_TARGET: (400, "noTarget"),
    ErrorCode.NOT_FOUND: (404, None),
    ErrorCode.INVALID_COMMAND: (400, "invalidValue"),
    ErrorCode.UNKNOWN_COMMAND: (500, None),
    ErrorCode.INTERNAL: (500, None),
}


def from_remote(code: ErrorCode, detail: str) -> ScimError:
    status, scim_type = REMOTE_ERRORS[code]
    if status >= 500:
        detail = "The service could not complete the request"  # internals stay in the service log
    return ScimError(status, detail, scim_type)


def unavailable(retry_after_seconds: int) -> ScimError:
    return ScimError(503, "The service is temporarily unavailable; retry later",
                     headers={"Retry-After": str(retry_after_seconds)})
