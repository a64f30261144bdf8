import pytest


@pytest.fixture
def database(tmp_path):
    """The SQLite file of the emitting process(es) of a test (outbox_support.emitter)."""
    return tmp_path / "events.sqlite3"
