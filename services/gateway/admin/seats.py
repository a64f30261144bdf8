"""Products, seats and subscription sets in the admin API: asked of the seat allocator over Kafka.

The vendor's operator subscribes a tenant to products and changes their seats or expiry (what the
tenant bought); the tenant's admins see their seats and manage their subscription sets. Answers are
the allocator's results as JSON; its refusals come back with the rule broken as ``detail``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, TypeVar

from aiohttp import web

from contracts import Message, Result
from contracts.seats.v1 import (
    ChangeSubscription,
    CreateSubscriptionSet,
    DeleteSubscriptionSet,
    EditSubscriptionSet,
    GetSeatSummary,
    ListSubscriptionSets,
    SeatAllocation,
    SeatSummary,
    SubscribeProduct,
    SubscriptionChanged,
    SubscriptionSetList,
    SubscriptionSetRecord,
    SubscriptionSetReport,
    seats_key,
)
from contracts.topics import SEATS_COMMANDS, USERS_COMMANDS
from contracts.users.v1 import RecordSeatStates
from services.gateway import keys
from services.gateway.admin.asks import answer, ask_service
from services.gateway.admin.bodies import (
    NewProduct,
    NewSubscriptionSet,
    ProductChange,
    SubscriptionSetChange,
    parse,
    sent,
)
from services.gateway.middlewares import read_json
from services.gateway.tenancy import store as tenant_store
from shared.scim.errors import ScimError
from shared.seat_alerts import product_alerts

ResultT = TypeVar("ResultT", bound=Result)

log = logging.getLogger(__name__)


async def ask_allocator(request: web.Request, tenant_id: str, command: Message, result_type: type[ResultT]) -> ResultT:
    return await ask_service(request, SEATS_COMMANDS.name, seats_key(tenant_id), tenant_id, command, result_type)


def operated_tenant(request: web.Request) -> str:
    """The tenant in the operator's path; one that does not exist is a 404."""
    return tenant_store.current(request.app, request.match_info["tenant_id"]).tenant_id


# --- the operator: what the tenant bought ----------------------------------------------------------


#: Seat states the user store is told in one message at most (a message stays far below the bus's limit).
SEAT_STATES_PER_MESSAGE = 1000


async def tell_user_store(request: web.Request, tenant_id: str, allocations: Sequence[SeatAllocation]) -> None:
    """The allocator moved these users' seats on the admin's change: the user store shows their seat state
    (platformActive, subscriptionSet, effectiveRole) from its own rows, which only its commands update.
    A user's own command racing this one may be answered in between; their next write sets it right.

    The admin's change is done whatever happens here: a send that fails or hangs is logged, not answered.
    """
    try:
        async with asyncio.timeout(request.app[keys.SETTINGS].request_timeout):
            for start in range(0, len(allocations), SEAT_STATES_PER_MESSAGE):
                batch = RecordSeatStates(allocations=list(allocations[start:start + SEAT_STATES_PER_MESSAGE]))
                await request.app[keys.REQUESTER].cast(batch, topic=USERS_COMMANDS.name,
                                                       key=f"{tenant_id}:seat-states", tenant_id=tenant_id)
    except Exception:
        log.exception("members' seat states not sent to the user store", extra={"members": len(allocations)})


async def subscribe_product(request: web.Request) -> web.Response:
    tenant_id, body = operated_tenant(request), parse(NewProduct, await read_json(request))
    command = SubscribeProduct(product=body.product, seats=body.seats, expires_at=body.expires_at)
    seats = await ask_allocator(request, tenant_id, command, SubscriptionChanged)
    await tell_user_store(request, tenant_id, seats.seated)
    return answer(seats, status=201)


async def change_product(request: web.Request) -> web.Response:
    tenant_id, body = operated_tenant(request), parse(ProductChange, await read_json(request))
    command = ChangeSubscription(product=request.match_info["product"], **sent(body))
    seats = await ask_allocator(request, tenant_id, command, SubscriptionChanged)
    await tell_user_store(request, tenant_id, seats.seated)
    return answer(seats)


async def operator_seat_summary(request: web.Request) -> web.Response:
    return _seats_with_alerts(request, await ask_allocator(request, operated_tenant(request), GetSeatSummary(),
                                                            SeatSummary))


# --- the tenant's admins: seats and subscription sets ----------------------------------------------


async def seat_summary(request: web.Request) -> web.Response:
    return _seats_with_alerts(request, await ask_allocator(request, request[keys.TENANT_ID], GetSeatSummary(),
                                                            SeatSummary))


def _seats_with_alerts(request: web.Request, summary: SeatSummary) -> web.Response:
    """Each product with its ``alerts`` (seats_low, seats_exhausted, subscription_expiring / _expired)."""
    now = request.app[keys.CLOCK]()
    return web.json_response({"products": [{**product.model_dump(mode="json", exclude={"TYPE"}),
                                            "alerts": product_alerts(product, now)} for product in summary.products]})


async def list_sets(request: web.Request) -> web.Response:
    return answer(await ask_allocator(request, request[keys.TENANT_ID], ListSubscriptionSets(), SubscriptionSetList))


async def show_set(request: web.Request) -> web.Response:
    listed = await ask_allocator(request, request[keys.TENANT_ID], ListSubscriptionSets(), SubscriptionSetList)
    name = request.match_info["name"]
    if (found := next((s for s in listed.sets if s.name == name), None)) is None:
        raise ScimError(404, f"Subscription set {name!r} not found")
    return answer(found)


async def create_set(request: web.Request) -> web.Response:
    body = parse(NewSubscriptionSet, await read_json(request))
    command = CreateSubscriptionSet(**body.model_dump())
    return answer(await ask_allocator(request, request[keys.TENANT_ID], command, SubscriptionSetRecord), status=201)


async def change_set(request: web.Request) -> web.Response:
    changes: dict[str, Any] = sent(parse(SubscriptionSetChange, await read_json(request)))
    if "name" in changes:
        changes["new_name"] = changes.pop("name")
    command = EditSubscriptionSet(name=request.match_info["name"], **changes)
    report = await ask_allocator(request, request[keys.TENANT_ID], command, SubscriptionSetReport)
    if changes.keys() & SHOWN_ON_MEMBERS:
        await tell_user_store(request, request[keys.TENANT_ID], report.outcomes)
    return answer(report)


#: What of a set its members' resources show: the seats its products give (platformActive) and its admin
#: role (effectiveRole). Its name (subscriptionSet) changes only while it has no members.
SHOWN_ON_MEMBERS = frozenset({"products", "admin_role"})


async def delete_set(request: web.Request) -> web.Response:
    command = DeleteSubscriptionSet(name=request.match_info["name"])
    report = await ask_allocator(request, request[keys.TENANT_ID], command, SubscriptionSetReport)
    await tell_user_store(request, request[keys.TENANT_ID], report.outcomes)
    return answer(report)
