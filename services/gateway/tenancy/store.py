"""How the gateway keeps tenant state: this replica's directory, read from and written to the topic.

An admin change is read-modify-publish, and every record carries a revision one above the record it
was built on. One lock per tenant on this replica keeps two admin requests here apart. Across
replicas, two changes built on the same record race on the topic: every replica reads the topic in
one order and keeps the first (TenantDirectory drops a record not newer than its own), and the
loser, told so, applies its change again on the winner and publishes that. The last record on the
topic - what compaction keeps - then holds both changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from aiohttp import web

from contracts.tenants.v2 import TenantRecord
from contracts.topics import TENANTS_STATE
from services.gateway import keys
from services.gateway.scim.errors import unavailable
from services.gateway.tenancy.activity import ActivityTracker
from services.gateway.tenancy.credentials import Issued
from services.gateway.tenancy.directory import StaleWrite, TenantDirectory
from services.gateway.tenancy.ratelimit import RateLimiter
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
    """Publish ``record``; return once this replica has applied it, so its next request sees it.

    The publish is timed too: with the broker away it would wait for its return, holding the tenant's
    lock and the admin's request. A record the producer still holds then may yet be published later.
    """
    with app[keys.TENANTS].expecting(record) as applied:
        try:
            async with asyncio.timeout(app[keys.SETTINGS].request_timeout):
                await app[keys.REQUESTER].cast(record, topic=TENANTS_STATE.name, key=record.tenant_id,
                                               tenant_id=record.tenant_id)
                await applied
        except TimeoutError:
            raise RequestTimeout("the tenant record was not published and read back in time") from None


#: Tries of one change against other replicas' changes to the same tenant (each loss means another
#: replica's change got in first: a handful at most at human pace).
CHANGE_TRIES = 5


async def change(app: web.Application, tenant_id: str, apply: Callable[[TenantRecord], T]) -> T:
    """Apply one rule (rules.py, tokens.py, setup_links.py) to the current record and save the result as its next revision;
    when another replica's change got in first, apply the rule again on that one."""
    async with app[keys.TENANT_LOCKS].setdefault(tenant_id, asyncio.Lock()):
        for _ in range(CHANGE_TRIES):
            try:
                return await _change_once(app, tenant_id, apply)
            except StaleWrite:
                continue
        raise unavailable()  # other replicas kept changing this tenant: the admin retries


async def _change_once(app: web.Application, tenant_id: str, apply: Callable[[TenantRecord], T]) -> T:
    base = current(app, tenant_id)
    outcome = apply(base)
    record = outcome.record if isinstance(outcome, Issued) else outcome
    next_revision = record.model_copy(update={"revision": base.revision + 1})
    await save(app, next_revision)
    return replace(outcome, record=next_revision) if isinstance(outcome, Issued) else next_revision
