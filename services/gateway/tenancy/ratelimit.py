"""Per-tenant token buckets for SCIM calls, in this gateway process only.

A refused call is answered 429 + Retry-After *before* anything is published, so no work is
dropped or half done: the IdP retries it. Buckets live in each replica, so with N replicas behind a
balancer a tenant gets up to N times the configured rate; the configured rate is therefore a floor
per replica (Entra's gallery expects at least 25 requests/s per tenant), not a global cap. A Bulk
counts as its operations (access.admit_bulk_operations), so a tenant's rate is the same in or out of Bulk.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass
class _Bucket:
    tokens: float
    updated: float  # seconds


class RateLimiter:
    def __init__(self, per_second: float, burst_seconds: float, clock: Callable[[], datetime]) -> None:
        self.per_second = per_second
        #: A full bucket holds this many seconds' worth of calls: an IdP's burst (Okta's import,
        #: Entra's cycle start) passes while its sustained rate stays under the limit.
        self.burst_seconds = burst_seconds
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, tenant_id: str, per_second: float | None = None, *, cost: int = 1, paid: int = 0) -> int:
        """0 when a call worth ``cost`` calls may go ahead, else the whole seconds to wait before retrying (>= 1).

        ``paid``: tokens this call took already (a Bulk's own call, at the door); they count towards its cost,
        and a refused call gets them back, as a refused call costs nothing. A cost larger than a full bucket
        goes ahead once the bucket is full and leaves it in debt: the calls after it wait until the rate has
        paid for all of it, so a tenant's sustained rate holds whatever the size of its calls.
        """
        rate = per_second or self.per_second
        capacity = self.capacity(rate)
        now = self._clock().timestamp()
        bucket = self._buckets.setdefault(tenant_id, _Bucket(capacity, now))
        # max(0, ...): a wall clock stepping back must not drain the bucket.
        bucket.tokens = min(capacity, bucket.tokens + paid + max(0.0, now - bucket.updated) * rate)
        bucket.updated = now
        needed = min(cost, capacity)
        if bucket.tokens >= needed:
            bucket.tokens -= cost
            return 0
        return max(1, math.ceil((needed - bucket.tokens) / rate))

    def capacity(self, per_second: float | None = None) -> float:
        """The calls a full bucket holds at this rate."""
        return max(1.0, (per_second or self.per_second) * self.burst_seconds)
