"""Provisioning events, version 1: what the public stream ``scimflow.events`` carries (contracts/topics.EVENTS).

Each record's value is one CloudEvents 1.0 event in structured JSON mode (its ``content-type`` header
says ``application/cloudevents+json``); its key is ``<tenantid>:<subject>``, so one subject's events
share a partition. Each service's events of one subject come in the order it committed their changes:
the user store's of a user or a group (``source`` ``scimflow/user_store``), the seat allocator's of a
user's seats or of a subscription set (``scimflow/seat_allocator``). A user's seat events and user
events, from two services, share the user's key but no order (the allocator commits a new user's seats
before the store commits the user). Delivery is at least once: a consumer drops an ``id`` it has
already handled.

A user or group event's ``data`` is the resource after the change as the IdP reads it (``id`` and
``meta`` included, without ``meta.location`` and ``$ref`` URIs: those are the gateway's public URL),
except that membership travels only in ``scimflow.group.members_added`` / ``.members_removed``: a
user's ``data`` has no ``groups`` and a group's no ``members`` (a group of ten thousand would otherwise
repeat them in every event). A ``.deleted`` event's ``data`` is the resource as it was last stored.

A seat event's ``data`` names the user, one product and the user's subscription set: a seat taken
(``scimflow.seat.assigned``), given back (``.released``) or refused (``.refused``, with the refusal's
code and text; a refusal of the user as a whole, ``no_product`` or ``other_set``, names no product),
one event per product a committed change moved or refused. A refused change moves no seat, so it
emits refusals only. ``scimflow.subscription_set.synced`` tells that a set's IdP group was synced
(the set's Last Synced): its ``data`` is the set as the allocator holds it then, its members counted.

Token and connection events (``scimflow/tenants``) come from the tenant records the gateway writes on the
compacted ``tenants.state`` topic, each change a new revision: the webhooks service reads every revision
in order and sends what changed (a token replaced or deleted, the connection changed), and, as time
passes, a token's reminders (``expiring`` at 30, 14, 7 and 1 days) and its expiry. Their ids are made
of the tenant, the revision or milestone, so every copy of the service that sends one sends the same id.

Additive changes only: new event types and new optional attributes may come; nothing here is removed
or retyped (tests/contracts/test_schema.py). Consumers must ignore types they do not know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from contracts.base import Event
from contracts.seats.v1 import SeatFailureReason

SPEC_VERSION: Final = "1.0"
#: The Kafka header of a structured-mode CloudEvent (CloudEvents Kafka protocol binding §3.3).
CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
DATA_CONTENT_TYPE: Final = "application/json"

UserEventType = Literal[
    "scimflow.user.created",
    "scimflow.user.updated",
    "scimflow.user.deactivated",
    "scimflow.user.reactivated",
    "scimflow.user.deleted",
]
GroupEventType = Literal["scimflow.group.created", "scimflow.group.updated", "scimflow.group.deleted"]
MembersEventType = Literal["scimflow.group.members_added", "scimflow.group.members_removed"]
SeatEventType = Literal["scimflow.seat.assigned", "scimflow.seat.released"]
SeatRefusedType = Literal["scimflow.seat.refused"]
SetSyncedType = Literal["scimflow.subscription_set.synced"]
TokenEventType = Literal[
    "scimflow.token.expiring", "scimflow.token.expired", "scimflow.token.replaced", "scimflow.token.revoked"]
ConnectionEventType = Literal["scimflow.connection.changed"]

USER_CREATED, USER_UPDATED, USER_DEACTIVATED, USER_REACTIVATED, USER_DELETED = get_args(UserEventType)
GROUP_CREATED, GROUP_UPDATED, GROUP_DELETED = get_args(GroupEventType)
MEMBERS_ADDED, MEMBERS_REMOVED = get_args(MembersEventType)
SEAT_ASSIGNED, SEAT_RELEASED = get_args(SeatEventType)
(SEAT_REFUSED,) = get_args(SeatRefusedType)
(SET_SYNCED,) = get_args(SetSyncedType)
TOKEN_EXPIRING, TOKEN_EXPIRED, TOKEN_REPLACED, TOKEN_REVOKED = get_args(TokenEventType)
(CONNECTION_CHANGED,) = get_args(ConnectionEventType)

#: ``tenants``: the tenant records the gateway keeps on tenants.state, read in revision order by the webhooks
#: service, which sends their events (services/webhooks/tenant_events.py).
USER_STORE, SEAT_ALLOCATOR, TENANTS = "scimflow/user_store", "scimflow/seat_allocator", "scimflow/tenants"


class CloudEvent(Event):
    """The CloudEvents 1.0 context attributes every event has; ``tenantid`` is our extension attribute."""

    #: The service that sends events of this class.
    SOURCE: ClassVar[str]

    specversion: Literal["1.0"] = SPEC_VERSION
    #: Unique per event and the same on every redelivery of it: what a consumer dedupes by.
    id: str = Field(min_length=1)
    #: The service that committed the change: ``scimflow/user_store`` or ``scimflow/seat_allocator``
    #: (each event class's SOURCE).
    source: str = Field(min_length=1)
    type: str
    #: The user's or the group's id (as in SCIM; a seat event's: its user's), or the subscription set's.
    subject: str = Field(min_length=1)
    #: When the change was committed.
    time: datetime
    tenantid: str = Field(min_length=1)
    datacontenttype: Literal["application/json"] = DATA_CONTENT_TYPE


class UserEvent(CloudEvent):
    """A user created, changed, (de/re)activated or deleted: ``data`` is the SCIM User."""

    TYPE: ClassVar[str] = "events.user_event.v1"
    SOURCE: ClassVar[str] = USER_STORE

    type: UserEventType
    data: dict[str, Any]


class GroupEvent(CloudEvent):
    """A group created, changed (displayName, externalId ...) or deleted: ``data`` is the SCIM Group
    without ``members``."""

    TYPE: ClassVar[str] = "events.group_event.v1"
    SOURCE: ClassVar[str] = USER_STORE

    type: GroupEventType
    data: dict[str, Any]


class MembersChanged(BaseModel):
    """Who joined or left a group in one change (user ids, sorted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group_id: str
    members: list[str] = Field(min_length=1)


class GroupMembersEvent(CloudEvent):
    """Members added to or removed from a group; a PUT that replaces the list emits both as needed."""

    TYPE: ClassVar[str] = "events.group_members_event.v1"
    SOURCE: ClassVar[str] = USER_STORE

    type: MembersEventType
    data: MembersChanged


class SeatHolder(BaseModel):
    """Whose seat a seat event tells of: the user, and their subscription set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: str
    #: The userName the allocator was last given, if any.
    user_name: str | None = None
    #: The name of the subscription set the user belongs to once the change is committed (None: none).
    subscription_set: str | None = None


class SeatChange(SeatHolder):
    """One product's seat a user took or gave back."""

    product: str


class SeatEvent(CloudEvent):
    """A seat of one product assigned to or released by a user (``subject``): one event per product."""

    TYPE: ClassVar[str] = "events.seat_event.v1"
    SOURCE: ClassVar[str] = SEAT_ALLOCATOR

    type: SeatEventType
    data: SeatChange


class SeatRefused(SeatHolder):
    """Seats a user asked for and was refused (their seats stay as they were), one problem's worth."""

    #: The product refused; None for a refusal of the user as a whole (no_product, other_set).
    product: str | None = None
    #: The refusal's code, as the seat contract's (contracts/seats/v1.SeatProblem).
    reason: SeatFailureReason
    #: What an admin reads, e.g. "product 'Sales' has no free seat (5 of 5 in use)".
    detail: str


class SeatRefusedEvent(CloudEvent):
    """Seats refused to a user (``subject``), one event per product refused (or one for the user as a whole)."""

    TYPE: ClassVar[str] = "events.seat_refused_event.v1"
    SOURCE: ClassVar[str] = SEAT_ALLOCATOR

    type: SeatRefusedType
    data: SeatRefused


class SubscriptionSetSynced(BaseModel):
    """A subscription set once its IdP group's membership change was applied."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    set_id: str
    name: str
    description: str
    products: list[str]
    admin_role: bool
    #: How many users belong to the set after the sync.
    members: int = Field(ge=0)


class SubscriptionSetEvent(CloudEvent):
    """A subscription set (``subject``: its id) synced with the IdP group of its name (its Last Synced)."""

    TYPE: ClassVar[str] = "events.subscription_set_event.v1"
    SOURCE: ClassVar[str] = SEAT_ALLOCATOR

    type: SetSyncedType
    data: SubscriptionSetSynced


class TokenState(BaseModel):
    """A tenant's SCIM token as its events tell of it: its public id (the ``scf_<token_id>`` prefix the admin
    sees), never the secret or its hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token_id: str
    expires_at: datetime
    #: ``expiring``: whole days left at the reminder's milestone (30, 14, 7 or 1).
    days_left: int | None = None
    #: ``replaced``: the token it replaced (now revoked).
    replaced_token_id: str | None = None
    #: ``revoked``: "replaced" (by a new one) or "deleted" (provisioning stops until a new one).
    reason: Literal["replaced", "deleted"] | None = None


class TokenEvent(CloudEvent):
    """The tenant's SCIM token (``subject``: its id) expiring soon, expired, replaced by a new one (the
    event of the new token) or revoked (the event of the old one)."""

    TYPE: ClassVar[str] = "events.token_event.v1"
    SOURCE: ClassVar[str] = TENANTS

    type: TokenEventType
    data: TokenState


class ConnectionState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    idp_type: Literal["okta", "entra_id", "other"] | None = None
    manage_users_through_idp: bool | None = None
    sso_enabled: bool = True


class ConnectionChanged(ConnectionState):
    """The tenant's IdP connection after an admin's change, and before it."""

    previous: ConnectionState


class ConnectionEvent(CloudEvent):
    """The tenant's IdP connection (``subject``: the tenant id) changed: IdP type, managing users through
    the IdP, SSO."""

    TYPE: ClassVar[str] = "events.connection_event.v1"
    SOURCE: ClassVar[str] = TENANTS

    type: ConnectionEventType
    data: ConnectionChanged


EVENT_CLASSES: tuple[type[CloudEvent], ...] = (UserEvent, GroupEvent, GroupMembersEvent, SeatEvent, SeatRefusedEvent,
                                               SubscriptionSetEvent, TokenEvent, ConnectionEvent)
#: Every event type by its CloudEvents ``type``, with the model of its events.
EVENT_TYPES: dict[str, type[CloudEvent]] = {
    kind: cls for cls in EVENT_CLASSES for kind in get_args(cls.model_fields["type"].annotation)}

ProvisioningEvent = Annotated[UserEvent | GroupEvent | GroupMembersEvent | SeatEvent | SeatRefusedEvent
                              | SubscriptionSetEvent | TokenEvent | ConnectionEvent, Field(discriminator="type")]
_EVENT = TypeAdapter(ProvisioningEvent)


def parse_event(raw: bytes | str) -> CloudEvent:
    """One record's value as its event model (pydantic's ValidationError if it is not one)."""
    return _EVENT.validate_json(raw)


def cloud_event(event_type: str, *, event_id: str, source: str, subject: str, tenant_id: str, time: str,
                data: dict[str, Any]) -> dict[str, Any]:
    """An event as the JSON object the stream carries (``time`` already RFC 3339). Built as a plain dict,
    since most writes of the user store and the seat allocator make one; tests/contracts checks it
    against the models."""
    return {"specversion": SPEC_VERSION, "id": event_id, "source": source, "type": event_type,
            "subject": subject, "time": time, "tenantid": tenant_id, "datacontenttype": DATA_CONTENT_TYPE,
            "data": data}
