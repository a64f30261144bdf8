"""The seat allocator's dispatcher on a real SQLite file, as its worker would call it, with a settable clock.
Its events go to ``events`` (a recording publisher): every event any test makes is checked against the
contract."""

import pytest

from services.seat_allocator.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity
from tests.support.clock import FakeClock as Clock
from tests.support.events import RecordingPublisher


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def dispatch(tmp_path, clock, events):
    identity = ServiceIdentity("seat_allocator", "t")
    async with bootstrap(tmp_path / "seats.sqlite3", identity, clock, events=events) as dispatcher:
        yield dispatcher
    events.release()
    assert all(event.source == "scimflow/seat_allocator" for event in events.events())  # each one parses, too
