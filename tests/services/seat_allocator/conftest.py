"""The seat allocator's dispatcher as its worker would call it, with a settable clock, on both backends: each
test using ``store`` (and so ``dispatch``) runs once on a SQLite file and once on a fresh PostgreSQL
database (the real server of tests/conftest.py's ``postgres_server``). Its events go to ``events`` (a
recording publisher): every event any test makes is checked against the contract."""

import pytest

from services.seat_allocator.bootstrap import bootstrap
from services.seat_allocator.settings import SeatAllocatorSettings
from shared.messaging.ping import ServiceIdentity
from shared.settings import StoreLocation
from tests.support.clock import FakeClock as Clock
from tests.support.events import RecordingPublisher


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def store(tmp_path, database) -> StoreLocation:
    """Where the allocator keeps its state, as its settings would say: its SQLite file, or its schema."""
    return SeatAllocatorSettings(data_dir=tmp_path, **database).store


@pytest.fixture
async def dispatch(store, clock, events):
    identity = ServiceIdentity("seat_allocator", "t")
    async with bootstrap(store, identity, clock, events=events) as dispatcher:
        yield dispatcher
    events.release()
    assert all(event.source == "scimflow/seat_allocator" for event in events.events())  # each one parses, too
