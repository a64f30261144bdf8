"""Message builders and readers for seat allocator tests."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import orjson

from contracts import ErrorBody, Message, MessageMeta, Reply, Result
from contracts.seats.v1 import (
    AllocateSeats,
    ChangeSetMembership,
    CreateSubscriptionSet,
    GetSeatSummary,
    GetUserSeats,
    ProductSeats,
    SeatAllocation,
    SeatSummary,
    SubscribeProduct,
    SubscriptionChanged,
    SubscriptionSetRecord,
    SubscriptionSetReport,
)
from shared.devtools.local_postgres import connect
from shared.messaging.requester import unwrap
from shared.settings import SqliteFile, StoreLocation
from tests.support.events import RecordingPublisher

R = TypeVar("R", bound=Result)

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NEXT_YEAR = START + timedelta(days=365)


def meta(tenant: str = "t1", message_id: str | None = None) -> MessageMeta:
    extra = {"message_id": message_id} if message_id else {}
    return MessageMeta(message_type="x", tenant_id=tenant, **extra)


async def ok(dispatch, command: Message, result_type: type[R], tenant: str = "t1") -> R:
    return unwrap(await dispatch(command, meta(tenant)), result_type)


async def refused(dispatch, command: Message, tenant: str = "t1") -> ErrorBody:
    reply: Reply = await dispatch(command, meta(tenant))
    assert not reply.ok, reply.result
    return reply.error


async def subscribe(dispatch, product: str = "Sales", seats: int = 100, expires_at: datetime = NEXT_YEAR,
                    tenant: str = "t1") -> SubscriptionChanged:
    return await ok(dispatch, SubscribeProduct(product=product, seats=seats, expires_at=expires_at),
                    SubscriptionChanged, tenant)


def allocate_command(user: str, *products: str, set_name: str | None = None) -> AllocateSeats:
    return AllocateSeats(user_id=user, user_name=f"{user}@example.com", products=list(products) or None,
                         set_name=set_name)


async def allocate(dispatch, user: str, *products: str, set_name: str | None = None) -> Reply:
    return await dispatch(allocate_command(user, *products, set_name=set_name), meta())


async def seats_of(dispatch, user: str) -> SeatAllocation:
    return await ok(dispatch, GetUserSeats(user_id=user), SeatAllocation)


async def summary(dispatch, tenant: str = "t1") -> dict[str, ProductSeats]:
    result = await ok(dispatch, GetSeatSummary(), SeatSummary, tenant)
    return {product.product: product for product in result.products}


async def used(dispatch, product: str = "Sales") -> int:
    return (await summary(dispatch))[product].used


async def create_set(dispatch, name: str = "NA Sales Team", *products: str, admin_role: bool = False,
                     description: str = "North American Sales Team") -> SubscriptionSetRecord:
    command = CreateSubscriptionSet(name=name, description=description, products=list(products) or ["Sales"],
                                    admin_role=admin_role)
    return await ok(dispatch, command, SubscriptionSetRecord)


async def membership(dispatch, set_name: str, added: Sequence[str] = (),
                     removed: Sequence[str] = ()) -> SubscriptionSetReport:
    command = ChangeSetMembership(set_name=set_name, added=list(added), removed=list(removed))
    return await ok(dispatch, command, SubscriptionSetReport)


async def stored(store: StoreLocation, sql: str) -> list[tuple]:
    """Rows as another process reads them (committed only): from the allocator's SQLite file, or its schema
    of the PostgreSQL database."""
    if isinstance(store, SqliteFile):
        with sqlite3.connect(store.path) as connection:
            return connection.execute(sql).fetchall()
    connection = await connect(store.url)
    try:
        await connection.execute(f'SET search_path TO "{store.schema}"')
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def outbox(store: StoreLocation) -> list[tuple[str, str, dict]]:
    """The allocator's outbox rows: key, writer, event."""
    rows = await stored(store, "SELECT key, writer, body FROM event_outbox ORDER BY seq")
    return [(key, writer, orjson.loads(body)) for key, writer, body in rows]


async def published(events: RecordingPublisher, store: StoreLocation, timeout: float = 10.0) -> None:
    """Return once the relay has published everything committed (polled, with a deadline)."""
    async with asyncio.timeout(timeout):
        while await outbox(store) or events.in_flight:
            await asyncio.sleep(0.01)
