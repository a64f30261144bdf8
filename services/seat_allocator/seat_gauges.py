"""Seats sold and seats held per product on the allocator's /metrics (issue 26): the operator sees how full
the vendor's products are without asking each tenant.

Read from the products table every REFRESH (one GROUP BY over the kept counts, ProductRow.used), not per
allocation: a copy's allocations are not the whole picture when several copies share the work. Every
copy reports the same totals (take the max, not the sum). Per tenant only when the operator turns it on
(``SCIMFLOW_METRICS_PER_TENANT``): tenants times products is a label set that grows with the customers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from prometheus_client import Gauge
from sqlalchemy import func, literal
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.seat_allocator.tables import ProductRow
from shared.periodic import periodically

REFRESH = timedelta(seconds=15)
#: The tenant label's value when the totals are over every tenant (the default).
ALL_TENANTS = ""

SEATS_TOTAL = Gauge("scimflow_seats_total", "Seats sold (subscribed), by product (and tenant, when turned on).",
                    ["product", "tenant"])
SEATS_USED = Gauge("scimflow_seats_used", "Seats held by users, by product (and tenant, when turned on).",
                   ["product", "tenant"])


class SeatGauges:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], per_tenant: bool = False) -> None:
        self._sessions, self._per_tenant = sessions, per_tenant

    async def refresh(self) -> None:
        async with self._sessions() as session:
            rows = (await session.exec(self._totals())).all()
        for product, tenant, sold, held in rows:  # a product stays once subscribed (none is ever removed)
            SEATS_TOTAL.labels(product, tenant).set(sold or 0)
            SEATS_USED.labels(product, tenant).set(held or 0)

    def _totals(self):
        """(product, tenant, seats sold, seats held) rows: per tenant, or over all of them (tenant "")."""
        sold, held = func.sum(col(ProductRow.seats)), func.sum(col(ProductRow.used))
        if self._per_tenant:
            return select(col(ProductRow.name), col(ProductRow.tenant_id), sold, held).group_by(
                col(ProductRow.name), col(ProductRow.tenant_id))
        return select(col(ProductRow.name), literal(ALL_TENANTS), sold, held).group_by(col(ProductRow.name))


@asynccontextmanager
async def seat_gauges(sessions: async_sessionmaker[AsyncSession], per_tenant: bool = False) -> AsyncIterator[None]:
    """The gauges kept fresh while the block runs."""
    async with periodically("seat gauges", REFRESH, SeatGauges(sessions, per_tenant).refresh):
        yield
