"""The webhooks service (issue 23) behind the gateway in its tests: its stand-in, and the real one.

The stand-in answers the commands of contracts/webhooks/v1.py as the contract says, keeps what it was
asked (``received``), and refuses as the service does (an unknown endpoint: notFound; a URL that is not
https, an unknown event type: invalidValue, in the service's words). Its delivery attempts and events
are the ones a test puts there. The real one runs with production's settings on the in-memory bus.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from contracts import ErrorCode, Message, MessageMeta
from contracts.events.v1 import EVENT_TYPES
from contracts.topics import WEBHOOKS_COMMANDS
from contracts.webhooks import v1
from services.webhooks.bootstrap import bootstrap
from services.webhooks.settings import WebhooksSettings
from shared.messaging.dispatch import CommandFailed, Dispatcher, tenant_of
from shared.messaging.memory import InMemoryBus
from shared.messaging.ping import ServiceIdentity
from tests.conftest import serving

MessageT = TypeVar("MessageT", bound=Message)
#: What an admin's "disable" leaves as the reason (the real service's words).
DISABLED_BY_ADMIN = "disabled by an admin"


@dataclass
class FakeWebhooks:
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    #: (tenant id, endpoint id) -> the endpoint.
    endpoints: dict[tuple[str, str], v1.Endpoint] = field(default_factory=dict)
    #: endpoint id -> its attempts, newest first.
    attempts: dict[str, list[v1.DeliveryAttempt]] = field(default_factory=dict)
    #: tenant id -> its events (CloudEvents as dicts), oldest first.
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: (tenant id, command), in the order they came.
    received: list[tuple[str, Message]] = field(default_factory=list)

    def endpoint(self, tenant_id: str, endpoint_id: str) -> v1.Endpoint:
        found = self.endpoints.get((tenant_id, endpoint_id))
        if found is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"No webhook endpoint {endpoint_id!r}")
        return found

    def asked(self, kind: type[MessageT]) -> list[MessageT]:
        """The commands of one kind it received, in order."""
        return [command for _, command in self.received if isinstance(command, kind)]

    def add_attempts(self, endpoint_id: str, *attempts: v1.DeliveryAttempt) -> None:
        """Attempts as if delivered, the newest given first."""
        self.attempts.setdefault(endpoint_id, [])[:0] = attempts


def _refuse_plain_http(url: str) -> None:
    if not url.startswith("https://"):
        raise CommandFailed(ErrorCode.INVALID_VALUE, "url: the URL must start with https://")


def _refuse_unknown_types(event_types: list[str]) -> None:
    if unknown := sorted(set(event_types) - set(EVENT_TYPES)):
        raise CommandFailed(ErrorCode.INVALID_VALUE, f"event_types: unknown {', '.join(unknown)}")


async def create_endpoint(command: v1.CreateEndpoint, meta: MessageMeta, fake: FakeWebhooks) -> v1.EndpointCreated:
    _refuse_plain_http(command.url)
    _refuse_unknown_types(command.event_types)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = v1.Endpoint(id=f"ep_{secrets.token_hex(4)}", url=command.url, description=command.description,
                           event_types=command.event_types, enabled=True, created=fake.clock(),
                           secret_prefix=secret[:10])
    fake.endpoints[tenant_of(meta), endpoint.id] = endpoint
    return v1.EndpointCreated(endpoint=endpoint, secret=secret)


async def list_endpoints(_: v1.ListEndpoints, meta: MessageMeta, fake: FakeWebhooks) -> v1.EndpointList:
    tenant_id = tenant_of(meta)
    return v1.EndpointList(endpoints=[found for (tenant, _), found in fake.endpoints.items() if tenant == tenant_id])


async def get_endpoint(query: v1.GetEndpoint, meta: MessageMeta, fake: FakeWebhooks) -> v1.EndpointRecord:
    return v1.EndpointRecord(endpoint=fake.endpoint(tenant_of(meta), query.endpoint_id))


async def change_endpoint(command: v1.ChangeEndpoint, meta: MessageMeta, fake: FakeWebhooks) -> v1.EndpointRecord:
    tenant_id = tenant_of(meta)
    changes = command.model_dump(exclude={"endpoint_id"}, exclude_none=True)
    if command.url is not None:
        _refuse_plain_http(command.url)
    _refuse_unknown_types(command.event_types or [])
    if command.enabled is not None:
        changes["disabled_reason"] = None if command.enabled else DISABLED_BY_ADMIN
    changed = fake.endpoint(tenant_id, command.endpoint_id).model_copy(update=changes)
    fake.endpoints[tenant_id, changed.id] = changed
    return v1.EndpointRecord(endpoint=changed)


async def delete_endpoint(command: v1.DeleteEndpoint, meta: MessageMeta, fake: FakeWebhooks) -> v1.EndpointDeleted:
    fake.endpoint(tenant_of(meta), command.endpoint_id)
    del fake.endpoints[tenant_of(meta), command.endpoint_id]
    return v1.EndpointDeleted(endpoint_id=command.endpoint_id)


async def list_deliveries(query: v1.ListDeliveries, meta: MessageMeta, fake: FakeWebhooks) -> v1.DeliveryPage:
    fake.endpoint(tenant_of(meta), query.endpoint_id)
    wanted = [attempt for attempt in fake.attempts.get(query.endpoint_id, [])
              if query.outcome is None or attempt.succeeded == (query.outcome == "succeeded")]
    start = query.start_index - 1
    return v1.DeliveryPage(total_results=len(wanted), pending=0, attempts=wanted[start:start + query.count])


async def replay_events(command: v1.ReplayEvents, meta: MessageMeta, fake: FakeWebhooks) -> v1.ReplayQueued:
    tenant_id = tenant_of(meta)
    fake.endpoint(tenant_id, command.endpoint_id)
    events = fake.events.get(tenant_id, [])
    if command.since is not None:
        return v1.ReplayQueued(queued=sum(datetime.fromisoformat(event["time"]) >= command.since for event in events))
    return v1.ReplayQueued(queued=sum(event["id"] in (command.event_ids or []) for event in events))


async def list_events(query: v1.ListEvents, meta: MessageMeta, fake: FakeWebhooks) -> v1.EventPage:
    """The cursor is the position after the page (the real one is opaque)."""
    if not (query.after or "0").isdigit():
        raise CommandFailed(ErrorCode.INVALID_VALUE, "after: not a cursor this service gave")
    start = int(query.after or 0)
    events = fake.events.get(tenant_of(meta), [])[start:]
    wanted = [event for event in events if not query.types or event["type"] in query.types][:query.limit]
    last = events.index(wanted[-1]) + start + 1 if wanted else start
    return v1.EventPage(events=wanted, next_cursor=str(last))


HANDLERS = {v1.CreateEndpoint: create_endpoint, v1.ListEndpoints: list_endpoints, v1.GetEndpoint: get_endpoint,
            v1.ChangeEndpoint: change_endpoint, v1.DeleteEndpoint: delete_endpoint,
            v1.ListDeliveries: list_deliveries, v1.ReplayEvents: replay_events, v1.ListEvents: list_events}


class _Recording(Dispatcher[FakeWebhooks]):
    async def __call__(self, message: Message, meta: MessageMeta):
        self.deps.received.append((meta.tenant_id or "", message))
        return await super().__call__(message, meta)


@asynccontextmanager
async def fake_webhooks_on(bus: InMemoryBus, clock: Callable[[], datetime] | None = None
                           ) -> AsyncIterator[FakeWebhooks]:
    """The fake answering webhooks.commands on ``bus`` until the block ends."""
    fake = FakeWebhooks(clock) if clock else FakeWebhooks()
    identity = ServiceIdentity("webhooks", "fake")
    async with serving(bus, [WEBHOOKS_COMMANDS.name], identity, _Recording(HANDLERS, fake)):
        yield fake


@asynccontextmanager
async def real_webhooks_on(bus: InMemoryBus, data_dir: Path, clock: Callable[[], datetime]) -> AsyncIterator[None]:
    """The real service answering webhooks.commands on ``bus`` (https and public addresses only)."""
    identity = ServiceIdentity("webhooks", "test")
    async with (bootstrap(WebhooksSettings(data_dir=data_dir), identity, bus=bus, clock=clock) as dispatch,
                serving(bus, [WEBHOOKS_COMMANDS.name], identity, dispatch)):
        yield
