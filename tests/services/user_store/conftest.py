"""The user store's dispatcher on a real SQLite file, as its worker would call it, linked in-process to a
real seat allocator (``allocator`` is its dispatcher, to set up products and read seats). Its events go to
``events`` (a recording publisher): every event any test makes is checked against the contract."""

import pytest

from services.seat_allocator.bootstrap import bootstrap as allocator_bootstrap
from services.user_store.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity
from shared.settings import SqliteFile
from tests.support.events import RecordingPublisher
from tests.support.seats import direct_seats


@pytest.fixture
async def allocator(tmp_path):
    async with allocator_bootstrap(SqliteFile(tmp_path / "seats.sqlite3"), ServiceIdentity("seat_allocator", "t")) as dispatcher:
        yield dispatcher


@pytest.fixture
def events() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def dispatch(tmp_path, allocator, events):
    identity = ServiceIdentity("user_store", "t")
    async with bootstrap(tmp_path / "users.sqlite3", identity, direct_seats(allocator), events=events) as dispatcher:
        yield dispatcher
    events.release()
    assert all(event.source == "scimflow/user_store" for event in events.events())  # each one parses, too
