"""The sync-status reporter's tests run on both backends: each test once on a SQLite file, once on a fresh
PostgreSQL database (the real server of tests/conftest.py's ``postgres_server``)."""

from __future__ import annotations

import pytest

from services.sync_status.settings import SyncStatusSettings


@pytest.fixture(params=["sqlite", "postgres"])
def sync_status_settings(request: pytest.FixtureRequest, tmp_path) -> SyncStatusSettings:
    if request.param == "sqlite":
        return SyncStatusSettings(data_dir=tmp_path)
    return SyncStatusSettings(data_dir=tmp_path, database_url=request.getfixturevalue("postgres_url"))
