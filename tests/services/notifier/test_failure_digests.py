"""Provisioning-failure digests: one notice per tenant per window, listing the failures, once (issue 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.sync_status.v1 import UserStatus, UserStatusPage
from services.gateway.tenancy.rules import add_admin, new_tenant
from services.notifier.scheduled.failure_digests import (
    LISTED,
    FailureDigests,
    last_window,
)
from shared.tenants_topic import LatestTenants
from tests.support.clock import FakeClock

WINDOW = timedelta(minutes=15)


def test_the_last_window_is_the_latest_that_has_ended():
    number, start, end = last_window(datetime(2026, 11, 23, 9, 7, tzinfo=UTC), WINDOW)
    assert (start, end) == (datetime(2026, 11, 23, 8, 45, tzinfo=UTC), datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert last_window(datetime(2026, 11, 23, 9, 14, tzinfo=UTC), WINDOW)[0] == number
    assert last_window(datetime(2026, 11, 23, 9, 15, tzinfo=UTC), WINDOW)[0] == number + 1


def tenants_with(clock: FakeClock, admins: int) -> tuple[LatestTenants, str]:
    record = new_tenant("acme", clock(), token_days=90).record
    for i in range(admins):
        record = add_admin(record, f"Admin {i}", f"admin{i}@acme.example", clock()).record
    tenants = LatestTenants()
    tenants.apply([record])
    return tenants, record.tenant_id


def failures(count: int, at: datetime) -> UserStatusPage:
    users = [UserStatus(user_id=None, user_name=f"user{i}@acme.example", status="failed", detail="no free seat",
                        last_attempt=at) for i in range(min(count, LISTED))]
    return UserStatusPage(total_results=count, start_index=1, users=users)


class Recorder:
    def __init__(self, failed: int) -> None:
        self.failed, self.asked, self.accepted = failed, [], []

    async def ask(self, query, tenant_id):
        self.asked.append((query, tenant_id))
        return failures(self.failed, query.since)

    async def accept(self, notice, tenant_id):
        self.accepted.append((notice, tenant_id))


async def test_one_digest_per_tenant_and_window_listing_the_failures():
    clock = FakeClock()
    tenants, tenant_id = tenants_with(clock, admins=2)
    digests, recorder = FailureDigests(tenants, clock, WINDOW), Recorder(failed=25)
    assert await digests.accept_due(recorder.ask, recorder.accept) == 1
    assert await digests.accept_due(recorder.ask, recorder.accept) == 0  # same window: once
    [(notice, accepted_for)] = recorder.accepted
    [(query, _)] = recorder.asked
    assert (query.status, query.until - query.since) == ("failed", WINDOW)
    assert accepted_for == tenant_id and notice.kind == "provisioning_failed"
    assert notice.subject == "25 users could not be provisioned"
    assert notice.body.count("no free seat") == LISTED and "and 5 more" in notice.body
    assert [r.email for r in notice.recipients] == ["admin0@acme.example", "admin1@acme.example"]
    clock.advance(WINDOW.total_seconds())
    await digests.accept_due(recorder.ask, recorder.accept)
    assert len({notice.dedupe_key for notice, _ in recorder.accepted}) == 2  # the next window is another digest


async def test_no_failure_no_digest_and_no_admin_no_question():
    clock = FakeClock()
    tenants, _ = tenants_with(clock, admins=1)
    quiet = Recorder(failed=0)
    assert await FailureDigests(tenants, clock, WINDOW).accept_due(quiet.ask, quiet.accept) == 0
    assert quiet.accepted == [] and len(quiet.asked) == 1
    lonely_tenants, _ = tenants_with(clock, admins=0)
    lonely = Recorder(failed=3)
    await FailureDigests(lonely_tenants, clock, WINDOW).accept_due(lonely.ask, lonely.accept)
    assert lonely.asked == [] and lonely.accepted == []
