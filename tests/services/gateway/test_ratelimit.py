"""Per-tenant token buckets, on an injected clock."""

from services.gateway.ratelimit import RateLimiter
from tests.support.clock import FakeClock


def test_a_burst_passes_then_calls_wait_for_the_refill():
    clock = FakeClock()
    limiter = RateLimiter(per_second=2, burst_seconds=1.5, clock=clock)
    assert [limiter.acquire("acme") for _ in range(4)] == [0, 0, 0, 1]
    clock.advance(seconds=0.5)
    assert limiter.acquire("acme") == 0


def test_retry_after_is_whole_seconds_until_a_call_fits():
    limiter = RateLimiter(per_second=0.25, burst_seconds=4, clock=FakeClock())
    assert [limiter.acquire("acme") for _ in range(2)] == [0, 4]


def test_tenants_have_their_own_buckets_and_rates():
    limiter = RateLimiter(per_second=1, burst_seconds=1, clock=FakeClock())
    assert [limiter.acquire("acme"), limiter.acquire("acme"), limiter.acquire("other")] == [0, 1, 0]
    assert [limiter.acquire("fast", per_second=3) for _ in range(4)] == [0, 0, 0, 1]


def test_a_clock_stepping_back_does_not_drain_the_bucket():
    clock = FakeClock()
    limiter = RateLimiter(per_second=1, burst_seconds=2, clock=clock)
    limiter.acquire("acme")
    clock.advance(seconds=-30)
    assert limiter.acquire("acme") == 0
