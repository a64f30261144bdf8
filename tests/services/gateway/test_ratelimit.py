"""Per-tenant token buckets, on an injected clock."""

from services.gateway.tenancy.ratelimit import RateLimiter
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


def test_a_call_worth_several_takes_as_many_tokens():
    limiter = RateLimiter(per_second=1, burst_seconds=5, clock=FakeClock())
    assert limiter.acquire("acme", cost=3) == 0
    assert [limiter.acquire("acme") for _ in range(3)] == [0, 0, 1]


def test_a_cost_larger_than_the_bucket_waits_for_a_full_one_and_leaves_it_in_debt():
    clock = FakeClock()
    limiter = RateLimiter(per_second=1, burst_seconds=5, clock=clock)
    limiter.acquire("acme")
    assert limiter.acquire("acme", cost=8) == 1  # 4 of the 5 a full bucket holds
    clock.advance(seconds=1)
    assert limiter.acquire("acme", cost=8) == 0
    assert limiter.acquire("acme") == 4  # 3 in debt: the rate pays for the 8 before the next call


def test_tokens_paid_at_the_door_count_towards_the_cost_and_a_refusal_gives_them_back():
    limiter = RateLimiter(per_second=1, burst_seconds=5, clock=FakeClock())
    assert [limiter.acquire("acme") for _ in range(4)] == [0, 0, 0, 0]  # the last: a Bulk's call, at the door
    assert limiter.acquire("acme", cost=3, paid=1) == 1  # 2 with its own: 1 short
    assert limiter.acquire("acme", cost=2) == 0
