"""Async queries of the allocator, one small class per table; all run inside the unit of work's transaction."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.seat_allocator.domain import Subscription
from shared.store import as_utc
from services.seat_allocator.tables import (
    ProductRow,
    SeatRow,
    SeatUserRow,
    SubscriptionSetRow,
)


async def exists_in(session: AsyncSession, query) -> bool:
    return (await session.exec(query.limit(1))).first() is not None


class Table:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def delete(self, row: object) -> None:
        await self.session.delete(row)


class Products(Table):
    async def get(self, tenant_id: str, name: str) -> ProductRow | None:
        return await self.session.get(ProductRow, (tenant_id, name))

    async def any(self, tenant_id: str) -> bool:
        """Whether the tenant subscribes any product (without counting seats, unlike ``subscriptions``)."""
        return await exists_in(self.session, select(ProductRow.name).where(ProductRow.tenant_id == tenant_id))

    async def subscriptions(self, tenant_id: str, names: Collection[str] | None = None) -> dict[str, Subscription]:
        """The tenant's products (all, or those named) with their seats in use, counted from the seat rows."""
        held = and_(SeatRow.tenant_id == ProductRow.tenant_id, SeatRow.product == ProductRow.name)
        query = (select(ProductRow, func.count(col(SeatRow.user_id))).outerjoin(SeatRow, held)
                 .where(ProductRow.tenant_id == tenant_id).group_by(ProductRow.name).order_by(ProductRow.name))
        if names is not None:
            query = query.where(col(ProductRow.name).in_(names))
        return {row.name: Subscription(row.name, row.seats, used, as_utc(row.expires_at))
                for row, used in await self.session.exec(query)}


class Seats(Table):
    async def held(self, tenant_id: str, user_id: str) -> frozenset[str]:
        query = select(SeatRow.product).where(SeatRow.tenant_id == tenant_id, SeatRow.user_id == user_id)
        return frozenset(await self.session.exec(query))

    def take(self, tenant_id: str, user_id: str, products: Collection[str], now: datetime) -> None:
        self.session.add_all(SeatRow(tenant_id=tenant_id, product=product, user_id=user_id, taken_at=now)
                             for product in products)

    async def free(self, tenant_id: str, user_id: str, products: Collection[str]) -> None:
        if products:
            await self.session.exec(delete(SeatRow).where(
                col(SeatRow.tenant_id) == tenant_id, col(SeatRow.user_id) == user_id,
                col(SeatRow.product).in_(products)))


class Users(Table):
    async def get(self, tenant_id: str, user_id: str) -> SeatUserRow | None:
        return await self.session.get(SeatUserRow, (tenant_id, user_id))

    async def in_set(self, set_id: str) -> list[SeatUserRow]:
        query = select(SeatUserRow).where(SeatUserRow.set_id == set_id).order_by(SeatUserRow.user_id)
        return list(await self.session.exec(query))

    async def counts_by_set(self, set_ids: Collection[str]) -> dict[str, int]:
        query = (select(SeatUserRow.set_id, func.count()).where(col(SeatUserRow.set_id).in_(set_ids))
                 .group_by(SeatUserRow.set_id))
        return {set_id: count for set_id, count in await self.session.exec(query)}


class Sets(Table):
    async def get(self, set_id: str) -> SubscriptionSetRow | None:
        return await self.session.get(SubscriptionSetRow, set_id)

    async def named(self, tenant_id: str, name: str) -> SubscriptionSetRow | None:
        """The set of exactly this name: an IdP group maps to a set by exact name."""
        query = select(SubscriptionSetRow).where(SubscriptionSetRow.tenant_id == tenant_id,
                                                 SubscriptionSetRow.name == name)
        return (await self.session.exec(query)).first()

    async def name_taken(self, tenant_id: str, name: str, own_id: str | None = None) -> bool:
        query = select(SubscriptionSetRow.id).where(SubscriptionSetRow.tenant_id == tenant_id,
                                                    SubscriptionSetRow.name_key == name.lower())
        return any(found != own_id for found in await self.session.exec(query))

    async def any(self, tenant_id: str) -> bool:
        return await exists_in(self.session, select(SubscriptionSetRow.id).where(SubscriptionSetRow.tenant_id == tenant_id))

    async def all(self, tenant_id: str) -> list[SubscriptionSetRow]:
        query = select(SubscriptionSetRow).where(SubscriptionSetRow.tenant_id == tenant_id)
        return list(await self.session.exec(query.order_by(SubscriptionSetRow.created, SubscriptionSetRow.id)))
