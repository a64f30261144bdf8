"""Message builders for user-store handler tests."""

from datetime import UTC, datetime, timedelta

from contracts import MessageMeta
from contracts.seats.v1 import (
    GetSeatSummary,
    GetUserSeats,
    SeatAllocation,
    SeatSummary,
    SubscribeProduct,
)
from contracts.users.v1 import CreateUser, UserRecord
from shared.messaging.requester import RequestTimeout, unwrap
from shared.scim.schemas import EXTENSION_SCHEMA
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
