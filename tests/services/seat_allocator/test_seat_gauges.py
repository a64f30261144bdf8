"""Issue 26: seats sold and held per product on the allocator's /metrics, summed over the tenants (per tenant
only when the operator turns it on), kept fresh by the running allocator, on both backends."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from prometheus_client import REGISTRY
from seat_support import allocate, subscribe

from services.seat_allocator import seat_gauges
from services.seat_allocator.bootstrap import bootstrap
from services.seat_allocator.seat_gauges import SEATS_TOTAL, SEATS_USED
from shared.messaging.ping import ServiceIdentity


def shown() -> dict[tuple[str, str, str], float]:
    return {(metric.name, sample.labels["product"], sample.labels["tenant"]): sample.value
            for metric in REGISTRY.collect() if metric.name in ("scimflow_seats_total", "scimflow_seats_used")
            for sample in metric.samples}


async def tenants(dispatch) -> None:
    await subscribe(dispatch, "Sales", seats=10, tenant="t1")
    await subscribe(dispatch, "Sales", seats=5, tenant="t2")
    await subscribe(dispatch, "Talent", seats=3, tenant="t2")
    for user in ("u1", "u2"):
        assert (await allocate(dispatch, user, "Sales")).ok  # tenant t1's


async def gauges_become(expected: dict, store, monkeypatch, **options) -> None:
    """The running allocator's gauges (the process's registry: started empty) show ``expected``."""
    monkeypatch.setattr(seat_gauges, "REFRESH", timedelta(milliseconds=50))
    SEATS_TOTAL.clear()
    SEATS_USED.clear()
    async with bootstrap(store, ServiceIdentity("seat_allocator", "t"), **options) as dispatch:
        await tenants(dispatch)
        deadline = asyncio.get_running_loop().time() + 10
        while (now := shown()) != expected:
            assert asyncio.get_running_loop().time() < deadline, now
            await asyncio.sleep(0.05)


async def test_sold_and_held_seats_per_product_over_every_tenant(store, monkeypatch):
    await gauges_become({
        ("scimflow_seats_total", "Sales", ""): 15, ("scimflow_seats_used", "Sales", ""): 2,
        ("scimflow_seats_total", "Talent", ""): 3, ("scimflow_seats_used", "Talent", ""): 0}, store, monkeypatch)


async def test_per_tenant_when_the_operator_turns_it_on(store, monkeypatch):
    await gauges_become({
        ("scimflow_seats_total", "Sales", "t1"): 10, ("scimflow_seats_used", "Sales", "t1"): 2,
        ("scimflow_seats_total", "Sales", "t2"): 5, ("scimflow_seats_used", "Sales", "t2"): 0,
        ("scimflow_seats_total", "Talent", "t2"): 3, ("scimflow_seats_used", "Talent", "t2"): 0},
        store, monkeypatch, metrics_per_tenant=True)
