"""Every topic name, its partition count, and which key keeps which commands in order.

Ordering rule: Kafka orders per partition only, so every command about one user carries the key
``<tenant_id>:<user_id>``; a create, which has no id yet, is keyed by ``<tenant_id>:<userName
lower-cased>`` so that two creates of the same userName queue behind each other. Tenant records are
keyed by tenant id on a compacted topic, so the latest record per tenant is the truth. Groups follow
the same rule on their own topic: ``<tenant_id>:<group_id>``, and a create ``<tenant_id>:group:<name>``.
Queries (look-ups, pages) order with nothing, so each has a key of its own (``query_key``).
"""

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


COMMAND_PARTITIONS = 6

USERS_COMMANDS = TopicSpec("users.commands", COMMAND_PARTITIONS)
GROUPS_COMMANDS = TopicSpec("groups.commands", COMMAND_PARTITIONS)
# Seat commands are keyed by the bare tenant id (contracts.seats.v1.seats_key): one tenant, one partition, one order.
SEATS_COMMANDS = TopicSpec("seats.commands", COMMAND_PARTITIONS)
NOTIFIER_COMMANDS = TopicSpec("notifier.commands", COMMAND_PARTITIONS)
SYNC_STATUS_COMMANDS = TopicSpec("sync_status.commands", COMMAND_PARTITIONS)
# Webhook endpoints and the events API: keyed by the bare tenant id (one tenant's endpoint changes in order).
WEBHOOKS_COMMANDS = TopicSpec("webhooks.commands", COMMAND_PARTITIONS)
TENANTS_STATE = TopicSpec(
    "tenants.state", 3, {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
)

#: The public stream of provisioning events (contracts/events/v1.py), keyed ``<tenant_id>:<subject>`` like the
#: commands, so one user's or group's events stay in order on one partition. Kept a week: a consumer that was
#: down over a long weekend resumes where it stopped (past that it must re-read SCIM to catch up).
EVENTS_RETENTION_DAYS = 7
EVENTS = TopicSpec("scimflow.events", COMMAND_PARTITIONS,
                   {"retention.ms": str(EVENTS_RETENTION_DAYS * 24 * 60 * 60 * 1000)})

ALL_TOPICS = (USERS_COMMANDS, GROUPS_COMMANDS, SEATS_COMMANDS, NOTIFIER_COMMANDS, SYNC_STATUS_COMMANDS, TENANTS_STATE,
              EVENTS, WEBHOOKS_COMMANDS)

#: Each service's consumer group and the command topics it serves: a Ping on the first reaches one of its copies.
SERVICE_COMMANDS: dict[str, tuple[TopicSpec, ...]] = {
    "user_store": (USERS_COMMANDS, GROUPS_COMMANDS),
    "seat_allocator": (SEATS_COMMANDS,),
    "notifier": (NOTIFIER_COMMANDS,),
    "sync_status": (SYNC_STATUS_COMMANDS,),
    "webhooks": (WEBHOOKS_COMMANDS,),
}
#: Every consumer group of the services and what it reads (``scimflow status`` shows them): the command groups
#: and the webhooks' ingest of the events.
SERVICE_GROUPS: dict[str, tuple[TopicSpec, ...]] = {**SERVICE_COMMANDS, "webhooks.events": (EVENTS,)}

REPLY_TOPIC_PREFIX = "scim.replies."
# Replies are read live or never: an hour is plenty, and keeps restarted instances' topics small.
REPLY_TOPIC_CONFIG = {"retention.ms": str(60 * 60 * 1000)}


def reply_topic(instance_id: str) -> TopicSpec:
    """The one-partition reply topic read by exactly one gateway instance."""
    return TopicSpec(REPLY_TOPIC_PREFIX + instance_id, 1, REPLY_TOPIC_CONFIG)


def resource_key(tenant_id: str, resource_id: str) -> str:
    """A user's or a group's commands: one resource, one key, one partition, in order."""
    return f"{tenant_id}:{resource_id}"


def new_user_key(tenant_id: str, user_name: str) -> str:
    return f"{tenant_id}:{user_name.lower()}"


def new_group_key(tenant_id: str, display_name: str) -> str:
    return f"{tenant_id}:group:{display_name.lower()}"


def query_key(tenant_id: str) -> str:
    """A query needs no order: what it reads was committed before the IdP asked (a write's reply leaves
    after its commit). Its own key spreads one tenant's look-ups and pages over every partition, and so
    over every store process (keyed by tenant, a big tenant's reads all went to one)."""
    return f"{tenant_id}:query:{uuid.uuid4().hex}"
