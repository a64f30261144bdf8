"""Golden samples: every message type has one, and each survives a round trip through its model."""

import json
from pathlib import Path

import pytest

from contracts import MESSAGE_CLASSES, MESSAGE_TYPES, Reply

SAMPLES = Path(__file__).parents[2] / "contracts" / "samples"


def load(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda cls: cls.TYPE)
def test_every_message_type_has_a_sample_that_round_trips(cls):
    sample = load(cls.TYPE)
    assert cls.model_validate(sample).model_dump(mode="json") == sample


@pytest.mark.parametrize("name", ["reply.v1.ok", "reply.v1.error"])
def test_reply_samples_round_trip(name):
    sample = load(name)
    assert Reply.model_validate(sample).model_dump(mode="json", exclude_none=True) == sample


def test_no_orphan_samples():
    names = {path.stem for path in SAMPLES.glob("*.json")}
    assert names - set(MESSAGE_TYPES) == {"reply.v1.ok", "reply.v1.error"}


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda cls: cls.TYPE)
def test_messages_refuse_unknown_fields(cls):
    """extra="forbid": a producer's typo fails loudly instead of being dropped."""
    with pytest.raises(ValueError):
        cls.model_validate({**load(cls.TYPE), "unexpected": 1})
