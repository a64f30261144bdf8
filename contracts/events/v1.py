"""Provisioning events, version 1: what the public stream ``scimflow.events`` carries (contracts/topics.EVENTS).

Each record's value is one CloudEvents 1.0 event in structured JSON mode (its ``content-type`` header
says ``application/cloudevents+json``); its key is ``<tenantid>:<subject>``, so one user's or one
group's events share a partition and come in the order their changes were committed. Delivery is
at least once: a consumer drops an ``id`` it has already handled.

``data`` is the resource after the change as the IdP reads it (``id`` and ``meta`` included, without
``meta.location`` and ``$ref`` URIs: those are the gateway's public URL), except that membership
travels only in ``scimflow.group.members_added`` / ``.members_removed``: a user's ``data`` has no
``groups`` and a group's no ``members`` (a group of ten thousand would otherwise repeat them in every
event). A ``.deleted`` event's ``data`` is the resource as it was last stored.

Additive changes only: new event types and new optional attributes may come; nothing here is removed
or retyped (tests/contracts/test_schema.py). Consumers must ignore types they do not know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from contracts.base import Event

SPEC_VERSION = "1.0"
#: The Kafka header of a structured-mode CloudEvent (CloudEvents Kafka protocol binding §3.3).
CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
DATA_CONTENT_TYPE = "application/json"

UserEventType = Literal[
    "scimflow.user.created",
    "scimflow.user.updated",
    "scimflow.user.deactivated",
    "scimflow.user.reactivated",
    "scimflow.user.deleted",
]
GroupEventType = Literal["scimflow.group.created", "scimflow.group.updated", "scimflow.group.deleted"]
MembersEventType = Literal["scimflow.group.members_added", "scimflow.group.members_removed"]

USER_CREATED, USER_UPDATED, USER_DEACTIVATED, USER_REACTIVATED, USER_DELETED = get_args(UserEventType)
GROUP_CREATED, GROUP_UPDATED, GROUP_DELETED = get_args(GroupEventType)
MEMBERS_ADDED, MEMBERS_REMOVED = get_args(MembersEventType)


class CloudEvent(Event):
    """The CloudEvents 1.0 context attributes every event has; ``tenantid`` is our extension attribute."""

    specversion: Literal["1.0"] = SPEC_VERSION
    #: Unique per event and the same on every redelivery of it: what a consumer dedupes by.
    id: str = Field(min_length=1)
    #: The service that committed the change, e.g. ``scimflow/user_store``.
    source: str = Field(min_length=1)
    type: str
    #: The user's or the group's id (as in SCIM).
    subject: str = Field(min_length=1)
    #: When the change was committed.
    time: datetime
    tenantid: str = Field(min_length=1)
    datacontenttype: Literal["application/json"] = DATA_CONTENT_TYPE


class UserEvent(CloudEvent):
    """A user created, changed, (de/re)activated or deleted: ``data`` is the SCIM User."""

    TYPE: ClassVar[str] = "events.user_event.v1"

    type: UserEventType
    data: dict[str, Any]


class GroupEvent(CloudEvent):
    """A group created, changed (displayName, externalId ...) or deleted: ``data`` is the SCIM Group
    without ``members``."""

    TYPE: ClassVar[str] = "events.group_event.v1"

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

    type: MembersEventType
    data: MembersChanged


EVENT_CLASSES: tuple[type[CloudEvent], ...] = (UserEvent, GroupEvent, GroupMembersEvent)
#: Every event type by its CloudEvents ``type``, with the model of its events.
EVENT_TYPES: dict[str, type[CloudEvent]] = {
    kind: cls for cls in EVENT_CLASSES for kind in get_args(cls.model_fields["type"].annotation)}

ProvisioningEvent = Annotated[UserEvent | GroupEvent | GroupMembersEvent, Field(discriminator="type")]
_EVENT = TypeAdapter(ProvisioningEvent)


def parse_event(raw: bytes | str) -> CloudEvent:
    """One record's value as its event model (pydantic's ValidationError if it is not one)."""
    return _EVENT.validate_json(raw)


def cloud_event(event_type: str, *, event_id: str, source: str, subject: str, tenant_id: str, time: str,
                data: dict[str, Any]) -> dict[str, Any]:
    """An event as the JSON object the stream carries (``time`` already RFC 3339). Built as a plain dict,
    since every write of the user store makes one; tests/contracts checks it against the models."""
    return {"specversion": SPEC_VERSION, "id": event_id, "source": source, "type": event_type,
            "subject": subject, "time": time, "tenantid": tenant_id, "datacontenttype": DATA_CONTENT_TYPE,
            "data": data}
