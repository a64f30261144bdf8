"""The user store's dispatcher, as its worker would call it, on each backend in turn (``users_at``: a real
SQLite file, then its schema of a fresh database on the real PostgreSQL), linked in-process to a real seat
allocator (``allocator`` is its dispatcher, to set up products and read seats). Its events go to ``events`` (a
recording publisher): every event any test makes is checked against the contract."""

import pytest

from services.seat_allocator.bootstrap import bootstrap as allocator_bootstrap
from services.user_store.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity
from shared.settings import PostgresSchema, SqliteFile, StoreLocation
from tests.support.events import RecordingPublisher
from tests.support.seats import direct_seats


@pytest.fixture
async def allocator(tmp_path):
    async with allocator_bootstrap(SqliteFile(tmp_path / "seats.sqlite3"), ServiceIdentity("seat_allocator", "t")) as dispatcher:
        yield dispatcher


@pytest.fixture
def users_at(tmp_path, database) -> StoreLocation:
    """Where the store under test keeps its state: a SQLite file, or its schema of a fresh PostgreSQL database."""
    if url := database.get("database_url"):
        return PostgresSchema(url, schema="user_store")
    return SqliteFile(tmp_path / "users.sqlite3")


@pytest.fixture
def events() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def dispatch(users_at, allocator, events):
    identity = ServiceIdentity("user_store", "t")
    async with bootstrap(users_at, identity, direct_seats(allocator), events=events) as dispatcher:
        yield dispatcher
    events.release()
    assert all(event.source == "scimflow/user_store" for event in events.events())  # each one parses, too
