"""The sync-status reporter's tests run on both backends: each test once on a SQLite file, once on a fresh
PostgreSQL database (the real server of tests/conftest.py's ``postgres_server``)."""

from __future__ import annotations

import pytest

from services.sync_status.settings import SyncStatusSettings


@pytest.fixture
def sync_status_settings(tmp_path, database) -> SyncStatusSettings:
    return SyncStatusSettings(data_dir=tmp_path, **database)
