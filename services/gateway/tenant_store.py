"""How the gateway keeps tenant state: this replica's directory, read from and written to the topic.

An admin change is read-modify-publish. One lock per tenant on this replica keeps two admin
requests here from starting from the same record and losing one change. Across replicas, two
changes to one tenant within the same few milliseconds can still lose one (the topic keeps the
later record): the admin API is human-paced, and a revoked token stays revoked on every replica
that saw it revoked (TenantDirectory). A single writer per tenant would close that gap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from contracts.tenants.v2 import TenantRecord
from contracts.topics import TENANTS_STATE
from services.gateway import keys
from services.gateway.activity import ActivityTracker
from services.gateway.ratelimit import RateLimiter
from services.gateway.tenant_state import Issued
from services.gateway.tenants import TenantDirectory
from shared.messaging.requester import RequestTimeout
from shared.scim.errors import ScimError

T = TypeVar("T", TenantRecord, Issued)


def install(app: web.Application, clock: keys.Clock) -> None:
    """The tenant-side state of one gateway process (no I/O: the topic is read in messaging_ctx)."""
    settings, directory = app[keys.SETTINGS], TenantDirectory()
    app[keys.CLOCK] = clock
    app[keys.TENANTS] = directory
    app[keys.ACTIVITY] = ActivityTracker(directory, clock)
    app[keys.RATE_LIMITER] = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst_seconds, clock)
    app[keys.TENANT_LOCKS] = {}


def current(app: web.Application, tenant_id: str) -> TenantRecord:
    record = app[keys.TENANTS].get(tenant_id)
    if record is None:
        raise ScimError(404, f"No tenant {tenant_id!r}")
    return record


def connected(app: web.Application, tenant_id: str) -> bool:
    """Has the tenant's IdP ever made a successful SCIM call (as far as this replica knows)?"""
    return app[keys.TENANTS].activity(tenant_id) is not None


async def save(app: web.Application, record: TenantRecord) -> None:
    """Publish ``record``; return once this replica has applied it, so its next request sees it."""
    with app[keys.TENANTS].expecting(record) as applied:
        await app[keys.REQUESTER].cast(record, topic=TENANTS_STATE.name, key=record.tenant_id,
                                       tenant_id=record.tenant_id)
        try:
            async with asyncio.timeout(app[keys.SETTINGS].request_timeout):
                await applied
        except TimeoutError:
            raise RequestTimeout("the tenant record was not read back in time") from None


async def change(app: web.Application, tenant_id: str, apply: Callable[[TenantRecord], T]) -> T:
    """Apply one rule of tenant_state to the current record and save the result."""
    async with app[keys.TENANT_LOCKS].setdefault(tenant_id, asyncio.Lock()):
        outcome = apply(current(app, tenant_id))
        await save(app, outcome.record if isinstance(outcome, Issued) else outcome)
        return outcome
