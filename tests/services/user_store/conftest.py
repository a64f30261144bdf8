"""The user store's dispatcher on a real SQLite file, as its worker would call it."""

import pytest

from services.user_store.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity


@pytest.fixture
async def dispatch(tmp_path):
    async with bootstrap(tmp_path / "users.sqlite3", ServiceIdentity("user_store", "t")) as dispatcher:
        yield dispatcher
