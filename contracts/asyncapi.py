"""The Kafka interface as an AsyncAPI 3.0 document, generated from the contracts: ``python -m contracts.asyncapi``
rewrites asyncapi.json (tests/contracts/test_asyncapi.py fails when it is not current; the gateway serves
it at ``GET /asyncapi.json``).

It describes scimflow as one application: it sends the public provisioning events on ``scimflow.events``
(the user store and the seat allocator, each its own types: ``send_events`` says which, by each event
class's SOURCE) and receives the internal commands on ``<domain>.commands``, answering each on the topic
its ``reply_to`` header names. Each message's payload schema is its pydantic model's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts.base import Command, Message, Query
from contracts.catalog import MESSAGE_CLASSES
from contracts.envelope import CONTENT_TYPE_JSON, Headers, Reply
from contracts.events.v1 import CONTENT_TYPE, EVENT_TYPES
from contracts.topics import (
    EVENTS,
    EVENTS_RETENTION_DAYS,
    GROUPS_COMMANDS,
    NOTIFIER_COMMANDS,
    SEATS_COMMANDS,
    SYNC_STATUS_COMMANDS,
    USERS_COMMANDS,
    WEBHOOKS_COMMANDS,
    TopicSpec,
)

DOCUMENT = Path(__file__).with_name("asyncapi.json")

#: Each command topic by the domain its message types start with (``users.create_user.v1``).
COMMAND_TOPICS = {"users": USERS_COMMANDS, "groups": GROUPS_COMMANDS, "seats": SEATS_COMMANDS,
                  "notifier": NOTIFIER_COMMANDS, "sync_status": SYNC_STATUS_COMMANDS, "webhooks": WEBHOOKS_COMMANDS}

_SCHEMAS = "#/components/schemas/{model}"
_KAFKA = "0.5.0"  # the Kafka bindings' version

_EVENTS_DESCRIPTION = (
    "Every change of a user or a group the user store commits, and every seat the seat allocator assigns, "
    "releases or refuses and every subscription set it syncs, as a CloudEvents 1.0 event in structured "
    "JSON mode. Keyed `<tenantid>:<subject>`: one subject's events share a partition, and each service's "
    "come in the order it committed their changes (a user's seat events and user events, from two "
    "services, keep no order between them). At least once: a consumer drops an `id` it has already "
    f"handled. Kept {EVENTS_RETENTION_DAYS} days. New types and new optional attributes may come: ignore "
    "what you do not know.")

_HEADERS = {
    "type": "object",
    "properties": {
        Headers.CONTENT_TYPE: {"type": "string", "const": CONTENT_TYPE_JSON},
        Headers.MESSAGE_TYPE: {"type": "string", "description": "the body's type, e.g. users.create_user.v1"},
        Headers.MESSAGE_ID: {"type": "string", "description": "unique; a redelivery carries the same one"},
        Headers.REPLY_TO: {"type": "string", "description": "the topic the reply goes to"},
        Headers.DEADLINE: {"type": "string", "description": "epoch milliseconds; past it nobody waits"},
        Headers.TENANT_ID: {"type": "string"},
        Headers.SOURCE: {"type": "string", "description": "the sending process"},
        Headers.REQUEST_ID: {"type": "string", "description": "the gateway's request id (X-Request-Id) it serves"},
        Headers.TRACEPARENT: {"type": "string", "description": "W3C trace context of the sending span"},
    },
    "required": [Headers.MESSAGE_TYPE, Headers.MESSAGE_ID],
}


def asyncapi() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    messages = {kind: _event_message(kind, schemas) for kind in EVENT_TYPES}
    channels = {"events": _channel(EVENTS, _EVENTS_DESCRIPTION, messages)}
    operations = {"send_events": {"action": "send", "channel": {"$ref": "#/channels/events"},
                                 "summary": "The user store and the seat allocator publish each committed "
                                            "change's events.",
                                 "description": _senders(), "messages": _refs("events", messages)}}
    messages["reply.v1"] = {"name": "reply.v1", "title": "Reply", "headers": _HEADERS,
                            "payload": _schema(Reply, schemas), "contentType": CONTENT_TYPE_JSON}
    for domain, topic in COMMAND_TOPICS.items():
        commands = {cls.TYPE: _command_message(cls, schemas) for cls in MESSAGE_CLASSES
                    if issubclass(cls, Command | Query) and cls.TYPE.split(".")[0] == domain}
        messages.update(commands)
        channels[domain] = _channel(topic, f"Commands and queries for {domain}, each answered on its reply_to "
                                           "topic; keyed as contracts/topics.py says.", commands)
        operations[f"receive_{domain}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{domain}"}, "messages": _refs(domain, commands),
            "reply": {"address": {"location": f"$message.header#/{Headers.REPLY_TO}"},
                      "messages": [{"$ref": "#/components/messages/reply.v1"}]}}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "scimflow on Kafka", "version": "1", "description": _EVENTS_DESCRIPTION},
        "defaultContentType": CONTENT_TYPE_JSON,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _channel(topic: TopicSpec, description: str, messages: dict[str, Any]) -> dict[str, Any]:
    config = {name: int(value) if value.isdigit() else value for name, value in topic.config.items()}
    return {"address": topic.name, "description": description,
            "messages": {kind: {"$ref": f"#/components/messages/{kind}"} for kind in messages},
            "bindings": {"kafka": {"topic": topic.name, "partitions": topic.partitions,
                                   **({"topicConfiguration": config} if config else {}),
                                   "bindingVersion": _KAFKA}}}


def _refs(channel: str, messages: dict[str, Any]) -> list[dict[str, str]]:
    return [{"$ref": f"#/channels/{channel}/messages/{kind}"} for kind in messages]


def _senders() -> str:
    """Which service (by its events' ``source``) sends which event types."""
    sent: dict[str, list[str]] = {}
    for kind, model in EVENT_TYPES.items():
        sent.setdefault(model.SOURCE, []).append(f"`{kind}`")
    return "; ".join(f"`{source}` sends {', '.join(kinds)}" for source, kinds in sent.items()) + "."


def _event_message(kind: str, schemas: dict[str, Any]) -> dict[str, Any]:
    model = EVENT_TYPES[kind]
    return {"name": kind, "title": kind, "summary": (model.__doc__ or "").split("\n")[0],
            "description": f"Sent by `{model.SOURCE}`.",
            "contentType": CONTENT_TYPE,
            "payload": {"allOf": [_schema(model, schemas), {"properties": {"type": {"const": kind}}}]},
            "bindings": {"kafka": {"key": {"type": "string", "description": "<tenantid>:<subject>"},
                                   "bindingVersion": _KAFKA}},
            "examples": [{"name": kind, "payload": _sample(kind)}]}


def _command_message(cls: type[Message], schemas: dict[str, Any]) -> dict[str, Any]:
    return {"name": cls.TYPE, "title": cls.__name__, "summary": (cls.__doc__ or "").strip().split("\n")[0],
            "headers": _HEADERS, "payload": _schema(cls, schemas)}


def _schema(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    """A reference to the model's schema, which goes (with the schemas it uses) into ``schemas``."""
    schema = _asyncapi_schema(model.model_json_schema(ref_template=_SCHEMAS))
    for name, found in {**schema.pop("$defs", {}), model.__name__: schema}.items():
        if schemas.setdefault(name, found) != found:  # two models of one name: references would mix them up
            raise ValueError(f"two schemas named {name}")
    return {"$ref": _SCHEMAS.format(model=model.__name__)}


def _asyncapi_schema(schema: Any) -> Any:
    """Pydantic's JSON Schema in AsyncAPI's dialect: a ``discriminator`` is the property's name only (OpenAPI's
    is an object with a mapping)."""
    if isinstance(schema, list):
        return [_asyncapi_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {key: value["propertyName"] if key == "discriminator" and isinstance(value, dict) and "propertyName" in value
            else _asyncapi_schema(value) for key, value in schema.items()}


def _sample(kind: str) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((Path(__file__).parent / "samples" / "events" / f"{kind}.json").read_text())
    return sample


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    DOCUMENT.write_text(render(asyncapi()))
    print(f"wrote {DOCUMENT}")
