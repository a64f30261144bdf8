"""The seat allocator's dispatcher on a real SQLite file, as its worker would call it, with a settable clock."""

import pytest

from services.seat_allocator.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity
from tests.support.clock import FakeClock as Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def dispatch(tmp_path, clock):
    async with bootstrap(tmp_path / "seats.sqlite3", ServiceIdentity("seat_allocator", "t"), clock) as dispatcher:
        yield dispatcher
