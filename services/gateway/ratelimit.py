"""Per-tenant token buckets for SCIM calls, in this gateway process only.

A refused call is answered 429 + Retry-After *before* anything is published, so no work is
dropped or half done: the IdP retries it. Buckets live in each replica, so with N replicas behind a
balancer a tenant gets up to N times the configured rate; the configured rate is therefore a floor
per replica (Entra's gallery expects at least 25 requests/s per tenant), not a global cap.
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

    def acquire(self, tenant_id: str, per_second: float | None = None) -> int:
        """0 when the call may go ahead, else the whole seconds to wait before retrying (>= 1)."""
        rate = per_second or self.per_second
        capacity = max(1.0, rate * self.burst_seconds)
        now = self._clock().timestamp()
        bucket = self._buckets.setdefault(tenant_id, _Bucket(capacity, now))
        # max(0, ...): a wall clock stepping back must not drain the bucket.
        bucket.tokens = min(capacity, bucket.tokens + max(0.0, now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return max(1, math.ceil((1 - bucket.tokens) / rate))
