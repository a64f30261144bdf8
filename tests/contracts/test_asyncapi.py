"""The AsyncAPI 3.0 document (contracts/asyncapi.json) is generated from the contracts and committed."""

import json

import pytest

from contracts import MESSAGE_CLASSES, Command, Query
from contracts.asyncapi import DOCUMENT, asyncapi, render
from contracts.events.v1 import CONTENT_TYPE, EVENT_TYPES, parse_event
from contracts.system.v1 import Ping


@pytest.fixture(scope="module")
def document() -> dict:
    return asyncapi()


def test_the_committed_document_is_current():
    """Regenerate it after a contract change: python -m contracts.asyncapi"""
    assert DOCUMENT.read_text() == render(asyncapi())


def references(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    return []


def test_every_reference_resolves(document):
    for reference in set(references(document)):
        node = document
        for part in reference.removeprefix("#/").split("/"):
            node = node[part]


def test_the_event_stream_has_every_event_type_with_its_example(document):
    assert document["asyncapi"] == "3.0.0"
    channel = document["channels"]["events"]
    assert channel["address"] == "scimflow.events" and set(channel["messages"]) == set(EVENT_TYPES)
    assert channel["bindings"]["kafka"]["topicConfiguration"] == {"retention.ms": 7 * 24 * 3600 * 1000}
    assert document["operations"]["send_events"]["action"] == "send"
    for kind in EVENT_TYPES:
        message = document["components"]["messages"][kind]
        assert message["contentType"] == CONTENT_TYPE
        [example] = message["examples"]
        assert parse_event(json.dumps(example["payload"])).type == kind


def test_every_command_and_query_is_received_on_one_command_topic(document):
    requests = {cls.TYPE for cls in MESSAGE_CLASSES if issubclass(cls, Command | Query) and cls is not Ping}
    received = [name.split("/")[-1] for operation in document["operations"].values()
                if operation["action"] == "receive" for name in (m["$ref"] for m in operation["messages"])]
    assert sorted(received) == sorted(requests)
    for operation in document["operations"].values():
        if operation["action"] == "receive":
            assert operation["reply"]["address"]["location"] == "$message.header#/reply_to"
