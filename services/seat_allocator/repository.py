"""Async queries of the allocator, one small class per table; all run inside the unit of work's transaction,
their plain SQL in ``_run`` (inline on SQLite, in a greenlet on PostgreSQL: shared/store.Repository)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from types import SimpleNamespace
from typing import Any

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

_PRODUCTS = table_of(ProductRow)
_SEATS = table_of(SeatRow)


async def exists_in(session: AsyncSession, query) -> bool:
    return (await session.exec(query.limit(1))).first() is not None


class Table(Repository):
    """Plain SQL (``_run``, shared/sqlite.PlainSql) for what every allocation reads and writes; the ORM
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
        where = "tenant_id = ?"
        params: list[Any] = [tenant_id]
        if names is not None:
            where += f" AND name IN ({placeholders(len(names))})"
            params.extend(names)
        rows = await self._run(lambda sql: sql.select(_PRODUCTS, where + " ORDER BY name", *params))
        return {row.name: Subscription(row.name, row.seats, row.used, as_utc(row.expires_at)) for row in rows}


class Seats(Table):
    async def held(self, tenant_id: str, user_id: str) -> frozenset[str]:
        rows = await self._run(lambda sql: sql.all("SELECT product FROM seats WHERE tenant_id = ? AND user_id = ?",
                                                   tenant_id, user_id))
        return frozenset(product for (product,) in rows)

    async def take(self, tenant_id: str, user_id: str, products: Collection[str], now: datetime) -> None:
        if products:
            await self._run(lambda sql: [sql.insert(_SEATS, {"tenant_id": tenant_id, "product": product,
                                                             "user_id": user_id, "taken_at": now})
                                         for product in products])

    async def free(self, tenant_id: str, user_id: str, products: Collection[str]) -> None:
        if products:
            delete = (f"DELETE FROM seats WHERE tenant_id = ? AND user_id = ? "
                      f"AND product IN ({placeholders(len(products))})")
            await self._run(lambda sql: sql.run(delete, tenant_id, user_id, *products))


#: What the allocator knows of a user (SeatUserRow's columns as attributes): every allocation reads
#: and writes one, so in plain SQL, never as an ORM object.
SeatUser = SimpleNamespace

_SEAT_USERS = table_of(SeatUserRow)
_WAITING = "tenant_id = ? AND active AND set_id IS NOT NULL AND failure IS NOT NULL ORDER BY modified, user_id"


class Users(Table):
    async def get(self, tenant_id: str, user_id: str) -> SeatUser | None:
        return await self._run(lambda sql: sql.select_one(_SEAT_USERS, "tenant_id = ? AND user_id = ?",
                                                          tenant_id, user_id))

    @staticmethod
    def new(tenant_id: str, user_id: str, now: datetime) -> SeatUser:
        """A user met for the first time: active, wanting nothing of their own (the table's defaults)."""
        return new_row(SeatUserRow, tenant_id=tenant_id, user_id=user_id, modified=now)

    async def save(self, user: SeatUser) -> None:
        await self._run(lambda sql: sql.insert(_SEAT_USERS, vars(user), on_conflict="REPLACE"))

    async def delete(self, user: SeatUser) -> None:
        await self._run(lambda sql: sql.run("DELETE FROM seat_users WHERE tenant_id = ? AND user_id = ?",
                                            user.tenant_id, user.user_id))

    async def waiting_in_sets(self, tenant_id: str) -> list[SeatUser]:
        """Active set members whose seats were refused (their failure kept), the longest waiting first."""
        return await self._run(lambda sql: sql.select(_SEAT_USERS, _WAITING, tenant_id))

    async def in_set(self, set_id: str) -> list[SeatUser]:
        return await self._run(lambda sql: sql.select(_SEAT_USERS, "set_id = ? ORDER BY user_id", set_id))

    async def counts_by_set(self, set_ids: Collection[str]) -> dict[str, int]:
        query = (select(SeatUserRow.set_id, func.count()).where(col(SeatUserRow.set_id).in_(set_ids))
                 .group_by(SeatUserRow.set_id))
        return {set_id: count for set_id, count in await self._session.exec(query) if set_id is not None}


_NAMED_SET = "SELECT 1 FROM subscription_sets WHERE tenant_id = ? AND name_key = ? AND name = ?"


class Sets(OrmTable):
    async def get(self, set_id: str) -> SubscriptionSetRow | None:
        return await self._session.get(SubscriptionSetRow, set_id)

    async def named(self, tenant_id: str, name: str) -> SubscriptionSetRow | None:
        """The set of exactly this name: an IdP group maps to a set by exact name. Most groups are no
        set: plain SQL says so before the ORM is asked (every group write asks)."""
        if await self._run(lambda sql: sql.one(_NAMED_SET, tenant_id, name.lower(), name)) is None:
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
