"""Bulk requests (RFC 7644 §3.7): validated into operations, with ``bulkId:`` references resolved.

Pure: the gateway's /Bulk view runs each operation through the same code as the single endpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.scim.errors import ScimError, invalid_value

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
MAX_OPERATIONS = 1000
MAX_PAYLOAD_SIZE = 1024 * 1024  # bytes, as advertised in /ServiceProviderConfig
METHODS = ("POST", "PUT", "PATCH", "DELETE")
_REFERENCE = "bulkId:"


@dataclass(frozen=True)
class BulkOperation:
    method: str
    path: str
    bulk_id: str | None
    version: str | None
    data: Any


@dataclass(frozen=True)
class BulkRequest:
    operations: list[BulkOperation]
    fail_on_errors: int | None  # stop after this many failed operations; None: run them all


def check_size(size: int) -> None:
    """RFC 7644 §3.7.4: over maxPayloadSize is 413, before the body is even parsed."""
    if size > MAX_PAYLOAD_SIZE:
        raise ScimError(413, f"The bulk request is larger than maxPayloadSize ({MAX_PAYLOAD_SIZE} bytes)")


def parse_bulk(body: Any) -> BulkRequest:
    """RFC 7644 §3.7: a BulkRequest, or 400 / 413 for what is wrong with it as a whole."""
    schemas = body.get("schemas") if isinstance(body, Mapping) else None
    if not isinstance(schemas, list) or BULK_REQUEST not in schemas:  # 1, true, a URN-holding string: no
        raise ScimError(400, f"The body must be a BulkRequest ({BULK_REQUEST})", "invalidSyntax")
    raw = body.get("Operations")
    if not isinstance(raw, list):
        raise ScimError(400, "Operations must be a list", "invalidSyntax")
    if len(raw) > MAX_OPERATIONS:
        raise ScimError(413, f"The bulk request has more than maxOperations ({MAX_OPERATIONS}) operations")
    fail_on_errors = body.get("failOnErrors")
    if fail_on_errors is not None and (isinstance(fail_on_errors, bool) or not isinstance(fail_on_errors, int)
                                       or fail_on_errors < 1):
        raise invalid_value("failOnErrors must be a positive integer")
    operations = [_operation(item) for item in raw]
    bulk_ids = [operation.bulk_id for operation in operations if operation.bulk_id is not None]
    if len(bulk_ids) != len(set(bulk_ids)):  # RFC 7644 §3.7: "unique within a bulk request"
        raise invalid_value("Each bulkId may be given to one operation only")
    return BulkRequest(operations, fail_on_errors)


def resolve(value: Any, bulk_ids: Mapping[str, str]) -> Any:
    """Every ``"bulkId:<id>"`` string in a path or data, replaced by the id its POST created (§3.7.2)."""
    if isinstance(value, str) and value.startswith(_REFERENCE):
        reference = value[len(_REFERENCE):]
        if reference not in bulk_ids:
            raise ScimError(409, f"bulkId {reference!r} does not name an earlier successful POST", "invalidValue")
        return bulk_ids[reference]
    if isinstance(value, str) and f"/{_REFERENCE}" in value:  # a path: /Groups/bulkId:team
        head, _, reference = value.rpartition("/")
        return f"{head}/{resolve(reference, bulk_ids)}"
    if isinstance(value, list):
        return [resolve(item, bulk_ids) for item in value]
    if isinstance(value, Mapping):
        return {key: resolve(item, bulk_ids) for key, item in value.items()}
    return value


def _operation(raw: Any) -> BulkOperation:
    if not isinstance(raw, Mapping):
        raise ScimError(400, "Each bulk operation must be a JSON object", "invalidSyntax")
    method = str(raw.get("method", "")).upper()
    if method not in METHODS:
        raise ScimError(400, f"method must be one of {', '.join(METHODS)}", "invalidSyntax")
    path, bulk_id, version = raw.get("path"), raw.get("bulkId"), raw.get("version")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ScimError(400, "Each bulk operation needs a path such as /Users", "invalidSyntax")
    if not isinstance(bulk_id, str | None) or not isinstance(version, str | None):
        raise ScimError(400, "bulkId and version must be strings", "invalidSyntax")
    if method == "POST" and not (isinstance(bulk_id, str) and bulk_id):
        raise ScimError(400, "A POST bulk operation needs a bulkId (RFC 7644 §3.7)", "invalidSyntax")
    if method != "DELETE" and "data" not in raw:
        raise ScimError(400, f"A {method} bulk operation needs data", "invalidSyntax")
    return BulkOperation(method, path, bulk_id, version, raw.get("data"))
