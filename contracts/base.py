"""Base classes for every message on the wire.

A message is a frozen pydantic model that refuses unknown fields, so a typo in a producer fails at
the edge instead of being silently dropped by the consumer. Each concrete class names its wire type
(`<domain>.<snake_verb_noun>.v<N>`) in ``TYPE``.
"""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

#: The largest 1-based startIndex a page query carries: past any tenant's size (a larger one answers the
#: same empty page), and an OFFSET SQLite and the wire's 64-bit integers hold.
MAX_START_INDEX = 2**31


class Message(BaseModel):
    """Anything that travels in an envelope body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]


class Command(Message):
    """A request that changes state: the worker answers a redelivery with the first answer."""


class Query(Message):
    """A request that only reads: safe to run any number of times."""


class Result(Message):
    """The ``result`` of a successful reply."""


class Event(Message):
    """A fact that happened; published, never answered."""
