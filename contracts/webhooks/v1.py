"""Webhook endpoints, their deliveries, and the events API, version 1 (the webhooks service).

A tenant admin registers endpoints (an https URL, and the event types it wants: none listed, every
type); the service signs each event it delivers there per the Standard Webhooks specification, with the
endpoint's secret (``whsec_`` + base64, shown once, at creation). Deliveries retry with backoff for up
to three days; an endpoint failing that long is disabled and the tenant's admins are told.

The events API pages through the tenant's events in the order the service received them, which keeps
every subject's events in commit order (contracts/events/v1.py): ``next_cursor`` is opaque, and asking
``after`` it later returns what came since (the same cursor is good as long as the history is kept).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.base import MAX_START_INDEX, Command, Query, Result

#: An endpoint's URL: its longest (as browsers and proxies take them).
MAX_URL_LENGTH = 2048
#: Event types one endpoint may name (every type there is, several times over).
MAX_EVENT_TYPES = 50
#: A tenant's endpoints at most: each event is delivered to every one that wants it.
MAX_ENDPOINTS = 20
#: The events API's page, at most and by default.
MAX_EVENTS_PAGE = 500
DEFAULT_EVENTS_PAGE = 100
#: Event ids one replay may name.
MAX_REPLAY_IDS = 1000
MAX_DESCRIPTION_LENGTH = 200

EventTypes = list[str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Endpoint(_Strict):
    id: str
    url: str
    description: str = ""
    #: The event types delivered here; empty: every type.
    event_types: EventTypes
    enabled: bool
    #: Why it is disabled (e.g. "failing since ... for 3 days"), when it is.
    disabled_reason: str | None = None
    created: datetime
    #: The first failed attempt since the last success; None while deliveries succeed.
    failing_since: datetime | None = None
    #: The secret's first characters, to tell secrets apart (the whole one is shown once).
    secret_prefix: str


class CreateEndpoint(Command):
    TYPE = "webhooks.create_endpoint.v1"

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    description: str = Field(default="", max_length=MAX_DESCRIPTION_LENGTH)
    event_types: EventTypes = Field(default_factory=list, max_length=MAX_EVENT_TYPES)


class EndpointCreated(Result):
    TYPE = "webhooks.endpoint_created.v1"

    endpoint: Endpoint
    #: ``whsec_`` + base64 of 32 random bytes: shown this once.
    secret: str


class ListEndpoints(Query):
    TYPE = "webhooks.list_endpoints.v1"


class EndpointList(Result):
    TYPE = "webhooks.endpoint_list.v1"

    endpoints: list[Endpoint]


class GetEndpoint(Query):
    TYPE = "webhooks.get_endpoint.v1"

    endpoint_id: str


class EndpointRecord(Result):
    TYPE = "webhooks.endpoint_record.v1"

    endpoint: Endpoint


class ChangeEndpoint(Command):
    """What is given changes (None: unchanged); enabling a disabled endpoint resumes its deliveries
    where they stopped, from its oldest undelivered event. Answered with the endpoint (EndpointRecord)."""

    TYPE = "webhooks.change_endpoint.v1"

    endpoint_id: str
    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_LENGTH)
    event_types: EventTypes | None = Field(default=None, max_length=MAX_EVENT_TYPES)
    enabled: bool | None = None


class DeleteEndpoint(Command):
    TYPE = "webhooks.delete_endpoint.v1"

    endpoint_id: str


class EndpointDeleted(Result):
    TYPE = "webhooks.endpoint_deleted.v1"

    endpoint_id: str


class ListDeliveries(Query):
    """An endpoint's delivery attempts, newest first."""

    TYPE = "webhooks.list_deliveries.v1"

    endpoint_id: str
    outcome: Literal["failed", "succeeded"] | None = None
    start_index: int = Field(default=1, ge=1, le=MAX_START_INDEX)
    count: int = Field(default=50, ge=0, le=200)


class DeliveryAttempt(_Strict):
    event_id: str
    event_type: str
    #: 1 for the first try of this event at this endpoint, 2 for its first retry ...
    attempt: int
    time: datetime
    #: The endpoint's HTTP status; None when no answer came (refused, timed out, address not allowed).
    status_code: int | None
    latency_ms: int
    succeeded: bool
    #: Why it failed, in a line (never the answer's body beyond its first characters).
    error: str | None = None


class DeliveryPage(Result):
    TYPE = "webhooks.delivery_page.v1"

    total_results: int
    #: Events waiting for this endpoint (retrying, or queued behind an earlier event of their subject).
    pending: int
    attempts: list[DeliveryAttempt]


class ReplayEvents(Command):
    """Deliver again, to one endpoint, the tenant's events since a time or these ids (those it wants)."""

    TYPE = "webhooks.replay_events.v1"

    endpoint_id: str
    since: AwareDatetime | None = None
    event_ids: list[str] | None = Field(default=None, min_length=1, max_length=MAX_REPLAY_IDS)

    @model_validator(mode="after")
    def _exactly_one(self) -> ReplayEvents:
        if (self.since is None) == (self.event_ids is None):
            raise ValueError("give exactly one of since and event_ids")
        return self


class ReplayQueued(Result):
    TYPE = "webhooks.replay_queued.v1"

    queued: int


class ListEvents(Query):
    TYPE = "webhooks.list_events.v1"

    #: The ``next_cursor`` of an earlier page; None: from the oldest event kept.
    after: str | None = Field(default=None, max_length=100)
    types: EventTypes = Field(default_factory=list, max_length=MAX_EVENT_TYPES)
    limit: int = Field(default=DEFAULT_EVENTS_PAGE, ge=1, le=MAX_EVENTS_PAGE)


class EventPage(Result):
    TYPE = "webhooks.event_page.v1"

    #: CloudEvents, as the stream carries them (contracts/events/v1.py).
    events: list[dict[str, Any]]
    #: Where the next page starts; given even on the last page, to ask for what comes later.
    next_cursor: str
