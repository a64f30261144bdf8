"""Seat notices: seats running low (>= 90 %) or out, and subscriptions expiring, once per situation (issue 7)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.seats.v1 import ProductSeats, SeatSummary
from services.gateway.tenancy.rules import add_admin, new_tenant
from services.notifier.scheduled.seat_notices import SeatNotices, due_notices
from shared.tenants_topic import LatestTenants
from tests.services.gateway import admin_support as gateway
from tests.services.notifier.scheduled_support import accepted, scheduled_notifier
from tests.support.clock import FakeClock
from tests.support.seats import product_body

EXTENSION = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"


def product(clock: FakeClock, used: int, total: int = 100, days: float = 365, name: str = "Sales") -> ProductSeats:
    expires = clock() + timedelta(days=days)
    return ProductSeats(product=name, total=total, used=used, free=total - used, expires_at=expires,
                        expired=days <= 0)


def tenant(clock: FakeClock, admins: int = 2):
    record = new_tenant("acme", clock(), token_days=90).record
    for i in range(admins):
        record = add_admin(record, f"Admin {i}", f"admin{i}@acme.example", clock()).record
    return record


@pytest.mark.parametrize(("used", "total", "kind"), [
    (89, 100, None), (90, 100, "seats_low"), (99, 100, "seats_low"), (100, 100, "seats_exhausted"),
    (0, 0, None),  # a product without seats is not "running out"
])
def test_seats_running_low_or_out(used, total, kind):
    clock = FakeClock()
    notices = due_notices(tenant(clock), SeatSummary(products=[product(clock, used, total)]), clock())
    assert [n.kind for n in notices] == ([kind] if kind else [])
    if kind:
        assert f"{used} of {total} Sales seats are in use" in notices[0].body
        assert [r.email for r in notices[0].recipients] == ["admin0@acme.example", "admin1@acme.example"]


@pytest.mark.parametrize(("days_left", "subject"), [
    (40, None), (30, "expires in 30 days"), (10, "expires in 30 days"), (7, "expires in 7 days"),
    (0.5, "expires in 1 day"), (0, "has expired"),
])
def test_a_subscription_nearing_its_end(days_left, subject):
    clock = FakeClock()
    notices = due_notices(tenant(clock), SeatSummary(products=[product(clock, 0, days=days_left)]), clock())
    assert [n.subject for n in notices] == ([f"Your Sales subscription {subject}"] if subject else [])


class Recorder:
    def __init__(self, summary: SeatSummary) -> None:
        self.summary, self.accepted = summary, []

    async def ask(self, tenant_id):
        return self.summary

    async def accept(self, notice, tenant_id):
        self.accepted.append(notice)


def tenants_of(*records) -> LatestTenants:
    tenants = LatestTenants()
    tenants.apply(list(records))
    return tenants


async def test_each_situation_is_accepted_once_and_a_new_one_again():
    clock = FakeClock()
    tenants = tenants_of(tenant(clock))
    notices, recorder = SeatNotices(tenants, clock), Recorder(SeatSummary(products=[product(clock, 95)]))
    assert await notices.accept_due(recorder.ask, recorder.accept) == 1
    assert await notices.accept_due(recorder.ask, recorder.accept) == 0
    recorder.summary = SeatSummary(products=[product(clock, 190, total=200)])  # more seats bought, low again
    assert await notices.accept_due(recorder.ask, recorder.accept) == 1
    assert len({n.dedupe_key for n in recorder.accepted}) == 2


async def test_a_tenant_without_admins_is_not_asked():
    clock = FakeClock()
    tenants = tenants_of(tenant(clock, admins=0))
    recorder = Recorder(SeatSummary(products=[product(clock, 100)]))
    assert await SeatNotices(tenants, clock).accept_due(recorder.ask, recorder.accept) == 0


async def test_a_running_notifier_accepts_the_exhausted_notice(aiohttp_client, memory_bus, tmp_path, seat_allocator,
                                                               user_store, database):
    """The production wiring: the notifier's loop asks the real seat allocator over the bus and files the notice."""
    clock = FakeClock()
    client = await gateway.start_gateway(aiohttp_client, memory_bus, tmp_path, clock)
    async with scheduled_notifier(memory_bus, tmp_path, clock, seat_notice_interval_seconds=0.02,
                                  **database) as notifier:
        acme, _ = await gateway.tenant_with_admin(client)
        await gateway.json_ok(await client.post(f"/admin/v1/tenants/{acme['tenant_id']}/products",
                                                json=product_body("Sales", 1), headers=gateway.OPERATOR), 201)
        await gateway.json_ok(await client.post("/scim/v2/Users", headers=gateway.bearer(acme["token"]), json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", EXTENSION], "userName": "ann@acme.example",
            EXTENSION: {"products": ["Sales"]}}), 201)

        async def exhausted():
            return [n for n in await accepted(notifier) if n.kind == "seats_exhausted"]

        [notice] = await gateway.eventually(exhausted, timeout=5)
    assert notice.subject == "No Sales seat is left" and notice.emails == ["admin@acme.example"]
