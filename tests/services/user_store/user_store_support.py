"""Message builders for user-store handler tests, and a PostgreSQL database of users made for a module."""

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from contracts import MessageMeta
from contracts.seats.v1 import (
    GetSeatSummary,
    GetUserSeats,
    SeatAllocation,
    SeatSummary,
    SubscribeProduct,
)
from contracts.users.v1 import CreateUser, UserRecord
from services.user_store.migrations import SCHEMA
from services.user_store.postgres_schema import create_postgres_schema
from services.user_store.tables import UserRow
from shared.devtools.local_postgres import create_database, drop_database
from shared.messaging.requester import RequestTimeout, unwrap
from shared.postgres import create_postgres_engine, migrate_postgres_schema
from shared.scim.schemas import EXTENSION_SCHEMA
from shared.settings import PostgresSchema
from tests.support.seats import direct_seats

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def meta(tenant: str = "t1", message_id: str | None = None) -> MessageMeta:
    extra = {"message_id": message_id} if message_id else {}
    return MessageMeta(message_type="x", tenant_id=tenant, **extra)


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


async def create(dispatch, user_name: str = "ann", **attributes) -> UserRecord:
    reply = await dispatch(CreateUser(resource={"userName": user_name, "active": True, **attributes}), meta())
    return unwrap(reply, UserRecord)


def stored(record: UserRecord) -> dict:
    """A record's resource as it was stored: the computed seat state (scimActive, platformActive) taken off."""
    resource = dict(record.resource)
    extension = {k: v for k, v in resource.pop(EXTENSION_SCHEMA).items() if k not in ("scimActive", "platformActive")}
    schemas = [urn for urn in resource.pop("schemas") if urn != EXTENSION_SCHEMA or extension]
    return {**resource, **({EXTENSION_SCHEMA: extension} if extension else {}), **({"schemas": schemas} if schemas else {})}


# --- the seat allocator beside the store (conftest's ``allocator``) ---------------------------------


class Crash(BaseException):
    """The store process dies here: nothing after it runs, nothing catches it (not an Exception)."""


async def subscribe(allocator, product: str, seats: int, days: int = 365, tenant: str = "t1") -> None:
    expires = datetime.now(UTC) + timedelta(days=days)
    reply = await allocator(SubscribeProduct(product=product, seats=seats, expires_at=expires), meta(tenant))
    assert reply.ok, reply.error


async def used(allocator, product: str = "Sales") -> int:
    summary = unwrap(await allocator(GetSeatSummary(), meta()), SeatSummary)
    return next(p.used for p in summary.products if p.product == product)


async def seats_of(allocator, user_id: str) -> SeatAllocation:
    return unwrap(await allocator(GetUserSeats(user_id=user_id), meta()), SeatAllocation)


async def intents(dispatch) -> int:
    async with dispatch.deps.uow() as uow:
        return len(await uow.intents.stale(dispatch.deps.clock() + timedelta(days=1)))


def crashing(allocator, *, before_asking: bool = False, after_answer: bool = False):
    async def ask(command, tenant_id, message_id, timeout):
        if before_asking:
            raise Crash
        reply = await direct_seats(allocator)(command, tenant_id, message_id, timeout)
        if after_answer:
            raise Crash
        return reply
    return ask


async def silent(command, tenant_id, message_id, timeout):
    raise RequestTimeout("the allocator is down")


@contextmanager
def postgres_users(server: str, rows: Sequence[dict[str, Any]]) -> Iterator[PostgresSchema]:
    """A database of its own on ``server`` for a module's tests (one per test would take minutes): the user
    store's schema as it makes it (its migrations and its own statements), ``rows`` of users in it, analyzed.
    Dropped after the block."""
    location = PostgresSchema(asyncio.run(create_database(server)), "user_store")
    try:
        asyncio.run(_store_users(location, rows))
        yield location
    finally:
        asyncio.run(drop_database(server, location.url))


async def _store_users(location: PostgresSchema, rows: Sequence[dict[str, Any]]) -> None:
    engine = create_postgres_engine(location)
    try:
        await migrate_postgres_schema(engine, location.schema, SCHEMA, create_postgres_schema)
        async with engine.begin() as connection:
            await connection.execute(insert(UserRow), list(rows))
            await connection.exec_driver_sql("ANALYZE users")
    finally:
        await engine.dispose()
