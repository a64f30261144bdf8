"""What the webhooks service's tests share: settings for a test, the service asked as the gateway asks it,
events as the stream carries them, and a real HTTP receiver that keeps what it is sent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from contracts import MessageMeta, Result
from contracts.events.v1 import USER_CREATED, cloud_event
from contracts.tenants.v2 import TenantRecord
from contracts.topics import EVENTS, TENANTS_STATE, resource_key
from services.webhooks.settings import WebhooksSettings
from shared.messaging.codec import encode_body, encode_headers
from shared.messaging.memory import InMemoryBus
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap
from tests.support.clock import FakeClock

IDENTITY = ServiceIdentity("webhooks", "t")
TENANT = "t1"


def settings_for(tmp_path, **values) -> WebhooksSettings:
    defaults = {"webhooks_allow_private_addresses": True, "webhooks_allow_http": True,
                "webhooks_poll_seconds": 0.05, "webhooks_timeout_seconds": 2.0}
    return WebhooksSettings(data_dir=tmp_path, **{**defaults, **values})


class Service:
    """The service's dispatcher, asked as the gateway would (the tenant in the header)."""

    def __init__(self, dispatcher, bus: InMemoryBus, clock: FakeClock) -> None:
        self.dispatcher, self.bus, self.clock = dispatcher, bus, clock

    async def ask(self, command, result_type: type[Result], tenant: str = TENANT, message_id: str | None = None):
        meta = MessageMeta(message_type=command.TYPE, tenant_id=tenant, **({"message_id": message_id} if message_id else {}))
        return unwrap(await self.dispatcher(command, meta), result_type)

    async def publish(self, *events: dict) -> None:
        async with self.bus.publisher() as publisher:
            for event in events:
                await publisher.send(EVENTS.name, orjson.dumps(event), key=resource_key(event["tenantid"], event["subject"]),
                                     headers=[])


def event(subject: str = "u1", kind: str = USER_CREATED, tenant: str = TENANT, event_id: str | None = None,
          time: str = "2026-11-23T09:00:00Z", **data) -> dict:
    return cloud_event(kind, event_id=event_id or uuid.uuid4().hex, source="scimflow/user_store", subject=subject,
                       tenant_id=tenant, time=time, data={"id": subject, **data})


class Receiver:
    """A webhook endpoint: keeps what it was sent; ``answers`` decides each status (default 200)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answer: Callable[[], int] = lambda: 200
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(({name.lower(): value for name, value in request.headers.items()}, await request.read()))
        status = self.answer()
        return web.Response(status=status, text="ok" if status < 300 else "not now")

    def bodies(self) -> list[dict]:
        return [orjson.loads(body) for _, body in self.received]

    def ids(self) -> list[str]:
        return [headers["webhook-id"] for headers, _ in self.received]


async def eventually(condition: Callable[[], object], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def read(service: Service, sql: str, *params: object) -> Any:
    """One value read from the service's own database (SQLite or PostgreSQL), as a test's condition reads it."""
    async with service.dispatcher.deps.uow(read_only=True) as unit:
        return await unit.run(lambda plain: plain.value(sql, *params))


async def until(condition: Callable[[], Awaitable[object]], timeout: float = 5.0) -> None:
    """``eventually`` for a condition that must await (a question to the service)."""
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.02)


def tenant_record(revision: int, *, tenant: str = TENANT, token: str | None = "tok1", expires: str = "2027-11-23T09:00:00Z",
                  revoked: tuple[tuple[str, str], ...] = (), idp_type: str | None = "okta",
                  admins: tuple[tuple[str, str], ...] = (("a1", "ada@acme.example"),)) -> TenantRecord:
    """A tenant's record as the gateway writes it (hashes are placeholders: nothing here reads them)."""
    return TenantRecord.model_validate({
        "tenant_id": tenant, "name": "acme", "created": "2026-11-23T09:00:00Z", "revision": revision,
        "token": None if token is None else {"token_id": token, "token_sha256": "0" * 64,
                                             "created": "2026-11-23T09:00:00Z", "expires_at": expires},
        "revoked_tokens": [{"token_id": token_id, "token_sha256": "0" * 64, "revoked_at": "2026-11-23T09:30:00Z",
                            "reason": reason} for token_id, reason in revoked],
        "admins": [{"admin_id": admin_id, "name": admin_id, "email": email, "key_id": "k" * 16,
                    "key_sha256": "0" * 64, "created": "2026-11-23T09:00:00Z"} for admin_id, email in admins],
        "connection": {"idp_type": idp_type}})


async def publish_tenant(service: Service, *records: TenantRecord) -> None:
    async with service.bus.publisher() as publisher:
        for record in records:
            await publisher.send(TENANTS_STATE.name, encode_body(record), key=record.tenant_id,
                                 headers=encode_headers(MessageMeta(message_type=record.TYPE)))
