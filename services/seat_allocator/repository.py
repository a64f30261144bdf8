"""Async queries of the allocator, one small class per table; all run inside the unit of work's transaction."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.seat_allocator.domain import Subscription
from services.seat_allocator.tables import (
    ProductRow,
    SeatRow,
    SeatUserRow,
    SubscriptionSetRow,
)
from shared.sqlite import new_row, placeholders, table_of
from shared.store import Repository, as_utc


async def exists_in(session: AsyncSession, query) -> bool:
    return (await session.exec(query.limit(1))).first() is not None


class Table(Repository):
    """Plain SQL (``_sql``, shared/sqlite.PlainSql) for what every allocation reads and writes; the ORM
    for the rest."""


class OrmTable(Table):
    """A table whose rows are ORM objects, written when the session flushes."""

    def add(self, row: object) -> None:
        self._session.add(row)

    async def delete(self, row: object) -> None:
        await self._session.delete(row)


class Products(OrmTable):
    async def get(self, tenant_id: str, name: str) -> ProductRow | None:
        return await self._session.get(ProductRow, (tenant_id, name))

    async def any(self, tenant_id: str) -> bool:
        """Whether the tenant subscribes any product (without counting seats, unlike ``subscriptions``)."""
        return await exists_in(self._session, select(ProductRow.name).where(ProductRow.tenant_id == tenant_id))

    async def subscriptions(self, tenant_id: str, names: Collection[str] | None = None) -> dict[str, Subscription]:
        """The tenant's products (all, or those named) with their seats in use (``used``, tables.py)."""
        query = "SELECT name, seats, expires_at, used FROM products WHERE tenant_id = ?"
        params: list[object] = [tenant_id]
        if names is not None:
            query += f" AND name IN ({placeholders(len(names))})"
            params.extend(names)
        rows = (await self._sql()).all(query + " ORDER BY name", *params)
        return {name: Subscription(name, seats, used, as_utc(datetime.fromisoformat(expires)))
                for name, seats, expires, used in rows}


class Seats(Table):
    async def held(self, tenant_id: str, user_id: str) -> frozenset[str]:
        rows = (await self._sql()).all("SELECT product FROM seats WHERE tenant_id = ? AND user_id = ?",
                                      tenant_id, user_id)
        return frozenset(product for (product,) in rows)

    async def take(self, tenant_id: str, user_id: str, products: Collection[str], now: datetime) -> None:
        sql = await self._sql()
        for product in products:
            sql.insert(table_of(SeatRow),
                       {"tenant_id": tenant_id, "product": product, "user_id": user_id, "taken_at": now})

    async def free(self, tenant_id: str, user_id: str, products: Collection[str]) -> None:
        if products:
            (await self._sql()).run(f"DELETE FROM seats WHERE tenant_id = ? AND user_id = ? "
                                   f"AND product IN ({placeholders(len(products))})",
                                   tenant_id, user_id, *products)


#: What the allocator knows of a user (SeatUserRow's columns as attributes): every allocation reads
#: and writes one, so in plain SQL, never as an ORM object.
SeatUser = SimpleNamespace

_SEAT_USERS = table_of(SeatUserRow)


class Users(Table):
    async def get(self, tenant_id: str, user_id: str) -> SeatUser | None:
        return (await self._sql()).select_one(_SEAT_USERS, "tenant_id = ? AND user_id = ?", tenant_id, user_id)

    @staticmethod
    def new(tenant_id: str, user_id: str, now: datetime) -> SeatUser:
        """A user met for the first time: active, wanting nothing of their own (the table's defaults)."""
        return new_row(SeatUserRow, tenant_id=tenant_id, user_id=user_id, modified=now)

    async def save(self, user: SeatUser) -> None:
        (await self._sql()).insert(_SEAT_USERS, vars(user), on_conflict="REPLACE")

    async def delete(self, user: SeatUser) -> None:
        (await self._sql()).run("DELETE FROM seat_users WHERE tenant_id = ? AND user_id = ?",
                               user.tenant_id, user.user_id)

    async def waiting_in_sets(self, tenant_id: str) -> list[SeatUser]:
        """Active set members whose seats were refused (their failure kept), the longest waiting first."""
        return (await self._sql()).select(_SEAT_USERS, "tenant_id = ? AND active AND set_id IS NOT NULL AND "
                                          "failure IS NOT NULL ORDER BY modified, user_id", tenant_id)

    async def in_set(self, set_id: str) -> list[SeatUser]:
        return (await self._sql()).select(_SEAT_USERS, "set_id = ? ORDER BY user_id", set_id)

    async def counts_by_set(self, set_ids: Collection[str]) -> dict[str, int]:
        query = (select(SeatUserRow.set_id, func.count()).where(col(SeatUserRow.set_id).in_(set_ids))
                 .group_by(SeatUserRow.set_id))
        return {set_id: count for set_id, count in await self._session.exec(query) if set_id is not None}


class Sets(OrmTable):
    async def get(self, set_id: str) -> SubscriptionSetRow | None:
        return await self._session.get(SubscriptionSetRow, set_id)

    async def named(self, tenant_id: str, name: str) -> SubscriptionSetRow | None:
        """The set of exactly this name: an IdP group maps to a set by exact name. Most groups are no
        set: plain SQL says so before the ORM is asked (every group write asks)."""
        if (await self._sql()).one("SELECT 1 FROM subscription_sets WHERE tenant_id = ? AND name_key = ? "
                                   "AND name = ?", tenant_id, name.lower(), name) is None:
            return None
        query = select(SubscriptionSetRow).where(SubscriptionSetRow.tenant_id == tenant_id,
                                                 SubscriptionSetRow.name_key == name.lower(),
                                                 SubscriptionSetRow.name == name)
        return (await self._session.exec(query)).first()

    async def name_taken(self, tenant_id: str, name: str, own_id: str | None = None) -> bool:
        query = select(SubscriptionSetRow.id).where(SubscriptionSetRow.tenant_id == tenant_id,
                                                    SubscriptionSetRow.name_key == name.lower())
        return any(found != own_id for found in await self._session.exec(query))

    async def any(self, tenant_id: str) -> bool:
        return await exists_in(self._session, select(SubscriptionSetRow.id).where(SubscriptionSetRow.tenant_id == tenant_id))

    async def all(self, tenant_id: str) -> list[SubscriptionSetRow]:
        query = select(SubscriptionSetRow).where(SubscriptionSetRow.tenant_id == tenant_id)
        return list(await self._session.exec(query.order_by(col(SubscriptionSetRow.created), col(SubscriptionSetRow.id))))
