"""A Publisher fake for the provisioning events: what the relay sent, in order, with the broker's
acknowledgements held back or refused on demand (shared/events/relay.py)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.events.v1 import CloudEvent, parse_event
from shared.messaging.transport import Outgoing, gather_sends


@dataclass(frozen=True)
class Sent:
    topic: str
    key: str | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


class RecordingPublisher:
    """``sent``: what the broker acknowledged, in order. ``hold()``: sends wait (unacknowledged) until
    ``release()``; ``failing``: sends are refused as by a broker that is down. Publishers given one ``sent``
    list publish to one topic (several store processes)."""

    def __init__(self, sent: list[Sent] | None = None) -> None:
        self.sent: list[Sent] = [] if sent is None else sent
        self.acknowledged = 0  # by this publisher (``sent`` may be shared)
        self.in_flight = 0
        #: Sends begun while an earlier send of the same key was not acknowledged yet.
        self.overtaking = 0
        self.failing = False
        self._keys_in_flight: set[str | None] = set()
        self._open = asyncio.Event()
        self._open.set()

    async def send(self, topic: str, value: bytes, *, key: str | None, headers: list[tuple[str, bytes]]) -> None:
        self.in_flight += 1
        self.overtaking += key in self._keys_in_flight
        self._keys_in_flight.add(key)
        try:
            await self._open.wait()
            if self.failing:
                raise ConnectionError("the broker is down")
            self.sent.append(Sent(topic, key, value, tuple(headers)))
            self.acknowledged += 1
        finally:
            self.in_flight -= 1
            self._keys_in_flight.discard(key)

    async def send_all(self, topic: str, records: Sequence[Outgoing]) -> list[BaseException | None]:
        return await gather_sends(self, topic, records)

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def events(self) -> list[CloudEvent]:
        """Every event acknowledged, as its contract model (each one validated)."""
        return [parse_event(sent.value) for sent in self.sent]

    def types_by_subject(self) -> dict[str, list[str]]:
        """Each subject's event types in the order sent, each event id once (a consumer's dedupe)."""
        seen: set[str] = set()
        types: dict[str, list[str]] = defaultdict(list)
        for event in self.events():
            if event.id not in seen:
                seen.add(event.id)
                types[event.subject].append(event.type)
        return dict(types)


async def until(predicate, timeout: float = 5.0) -> None:
    """Wait for ``predicate()`` to hold, polling the loop (the relay runs on it), with a deadline."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)
