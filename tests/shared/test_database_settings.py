"""One setting picks a service's database (issue 25): SCIMFLOW_DATABASE_URL, a service's own over it, and
SQLite files when neither is set; anything but PostgreSQL through asyncpg is refused, not crashed on."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from services.notifier.settings import NotifierSettings
from services.seat_allocator.settings import SeatAllocatorSettings
from services.sync_status.settings import SyncStatusSettings
from services.user_store.settings import UserStoreSettings
from services.webhooks.settings import WebhooksSettings
from shared.settings import PostgresSchema, SqliteFile

SHARED = "postgresql+asyncpg://scimflow@db.example:5432/scimflow"
OWN = "postgresql+asyncpg://reporter@reports.example/status"


def test_unset_means_the_services_sqlite_file(tmp_path):
    assert SyncStatusSettings(data_dir=tmp_path).store == SqliteFile(tmp_path / "sync_status" / "sync_status.sqlite3")


def test_the_shared_url_puts_the_service_in_a_schema_of_its_own(monkeypatch, tmp_path):
    monkeypatch.setenv("SCIMFLOW_DATABASE_URL", SHARED)
    assert SyncStatusSettings(data_dir=tmp_path).store == PostgresSchema(SHARED, schema="sync_status")


def test_the_services_own_url_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("SCIMFLOW_DATABASE_URL", SHARED)
    monkeypatch.setenv("SCIMFLOW_SYNC_STATUS_DATABASE_URL", OWN)
    assert SyncStatusSettings(data_dir=tmp_path).store == PostgresSchema(OWN, schema="sync_status")


@pytest.mark.parametrize("variable", ["SCIMFLOW_DATABASE_URL", "SCIMFLOW_SYNC_STATUS_DATABASE_URL"])
@pytest.mark.parametrize("url", ["sqlite:///var/status.sqlite3", "postgresql://db.example/scimflow", "nonsense"])
def test_another_kind_of_url_is_refused_with_what_is_expected(monkeypatch, variable, url):
    monkeypatch.setenv(variable, url)
    with pytest.raises(ValidationError, match=r"starts with postgresql\+asyncpg://"):
        SyncStatusSettings()


def test_the_reporter_refuses_another_url_in_words_without_its_password(tmp_path):
    started = subprocess.run([sys.executable, "-m", "services.sync_status"], capture_output=True, text=True,
                             timeout=60, check=False,
                             env={**os.environ, "SCIMFLOW_DATABASE_URL": "postgresql://app:hunter2@db.example/scim",
                                  "SCIMFLOW_DATA_DIR": str(tmp_path)})
    assert started.returncode == 1 and "Traceback" not in started.stderr
    assert "refusing to start" in started.stderr and "starts with postgresql+asyncpg://" in started.stderr
    assert "hunter2" not in started.stderr


@pytest.mark.parametrize("settings_class", [UserStoreSettings, SeatAllocatorSettings, NotifierSettings,
                                            WebhooksSettings])
def test_a_service_still_on_sqlite_only_refuses_the_url_rather_than_ignore_it(monkeypatch, tmp_path, settings_class):
    """Copies on several hosts would each keep a SQLite file of their own, unnoticed."""
    monkeypatch.setenv("SCIMFLOW_DATABASE_URL", SHARED)
    with pytest.raises(ValidationError, match="keeps its state in SQLite only so far"):
        settings_class(data_dir=tmp_path)


def test_the_user_store_refuses_the_url_in_words(tmp_path):
    started = subprocess.run([sys.executable, "-m", "services.user_store"], capture_output=True, text=True,
                             timeout=60, check=False,
                             env={**os.environ, "SCIMFLOW_DATABASE_URL": SHARED, "SCIMFLOW_DATA_DIR": str(tmp_path)})
    assert started.returncode == 1 and "Traceback" not in started.stderr
    assert "refusing to start" in started.stderr and "SQLite only so far" in started.stderr
