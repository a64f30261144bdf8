"""Bulk requests (RFC 7644 §3.7): validated into operations, with ``bulkId:`` references resolved, and the
order their operations may run in when several run at once (``Schedule``).

Pure: the gateway's /Bulk view runs each operation through the same code as the single endpoints.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
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


class Schedule:
    """Which operation starts next when up to ``width`` run at once. Operations start in request order, each
    once the earlier ones it depends on are done: the last earlier operation on the same resource (named by
    its id, or by its ``bulkId``), the POST of every bulkId it references (RFC 7644 §3.7.2), and any earlier
    operation on a resource its data names, or on a userName / displayName it sets. With ``failOnErrors``
    (§3.7.3) no more run at once than errors are still allowed, so at most that many fail, and none starts
    once they have: with failOnErrors 1 they run one by one."""

    def __init__(self, operations: Sequence[BulkOperation], fail_on_errors: int | None, width: int) -> None:
        self._width, self._fail_on_errors = width, fail_on_errors
        self._waiting: list[int] = []
        self._dependents: list[list[int]] = [[] for _ in operations]
        for index, earlier in enumerate(_dependencies(operations)):
            self._waiting.append(len(earlier))
            for other in earlier:
                self._dependents[other].append(index)
        self._ready = [index for index, count in enumerate(self._waiting) if not count]  # sorted: a heap
        self.running = self.failures = 0

    def start(self) -> int | None:
        """The next operation to start now; None while none is ready, as many run as may, or after failOnErrors."""
        room = self._width if self._fail_on_errors is None else min(self._width, self._fail_on_errors - self.failures)
        if not self._ready or self.running >= room:
            return None
        self.running += 1
        return heapq.heappop(self._ready)

    def finish(self, index: int, *, failed: bool) -> None:
        self.running, self.failures = self.running - 1, self.failures + failed
        for dependent in self._dependents[index]:
            self._waiting[dependent] -= 1
            if not self._waiting[dependent]:
                heapq.heappush(self._ready, dependent)


def _dependencies(operations: Sequence[BulkOperation]) -> list[set[int]]:
    """For each operation, the earlier ones it waits for: per thing it touches, the last one that touched it."""
    targets = {_target(operation) for operation in operations if operation.method != "POST"}
    last: dict[str, int] = {}
    dependencies = []
    for index, operation in enumerate(operations):
        touched = {_target(operation), *_references(operation.path, targets), *_references(operation.data, targets)}
        if operation.method in ("POST", "PUT") and isinstance(operation.data, Mapping):
            touched.update(f"name:{operation.data[name]}".lower() for name in ("userName", "displayName")
                           if isinstance(operation.data.get(name), str))
        dependencies.append({last[thing] for thing in touched if thing in last})
        last.update(dict.fromkeys(touched, index))
    return dependencies


def _target(operation: BulkOperation) -> str:
    """The resource an operation writes: the id ending its path, or ``bulkId:<id>`` (a POST's, or a reference)."""
    return f"{_REFERENCE}{operation.bulk_id}" if operation.method == "POST" else operation.path.rstrip("/").rsplit("/", 1)[-1]


def _references(value: Any, targets: set[str]) -> Iterator[str]:
    """The bulkId references in a path or data, and the strings in it that are ids other operations write."""
    if isinstance(value, str):
        tail = value.rsplit("/", 1)[-1]  # a path or a $ref ends with the id
        if tail.startswith(_REFERENCE) or tail in targets:
            yield tail
    elif isinstance(value, list):
        for item in value:
            yield from _references(item, targets)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _references(item, targets)


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
