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
#: The services on either backend: their settings, their schema's name, their SQLite file's.
ON_POSTGRES = [(SyncStatusSettings, "sync_status", "sync_status.sqlite3"),
               (SeatAllocatorSettings, "seat_allocator", "seats.sqlite3"),
               (NotifierSettings, "notifier", "notifier.sqlite3"),
               (WebhooksSettings, "webhooks", "webhooks.sqlite3"),
               (UserStoreSettings, "user_store", "users.sqlite3")]
each_service = pytest.mark.parametrize(("settings_class", "service", "file_name"), ON_POSTGRES)


@each_service
def test_unset_means_the_services_sqlite_file(tmp_path, settings_class, service, file_name):
    assert settings_class(data_dir=tmp_path).store == SqliteFile(tmp_path / service / file_name)


@each_service
def test_the_shared_url_puts_the_service_in_a_schema_of_its_own(monkeypatch, tmp_path, settings_class, service,
                                                                  file_name):
    monkeypatch.setenv("SCIMFLOW_DATABASE_URL", SHARED)
    assert settings_class(data_dir=tmp_path).store == PostgresSchema(SHARED, schema=service)


@each_service
def test_the_services_own_url_wins(monkeypatch, tmp_path, settings_class, service, file_name):
    monkeypatch.setenv("SCIMFLOW_DATABASE_URL", SHARED)
    monkeypatch.setenv(f"SCIMFLOW_{service.upper()}_DATABASE_URL", OWN)
    assert settings_class(data_dir=tmp_path).store == PostgresSchema(OWN, schema=service)


@each_service
@pytest.mark.parametrize("own", [False, True])
@pytest.mark.parametrize("url", ["sqlite:///var/status.sqlite3", "postgresql://db.example/scimflow", "nonsense"])
def test_another_kind_of_url_is_refused_with_what_is_expected(monkeypatch, settings_class, service, file_name, own,
                                                              url):
    monkeypatch.setenv(f"SCIMFLOW_{service.upper()}_DATABASE_URL" if own else "SCIMFLOW_DATABASE_URL", url)
    with pytest.raises(ValidationError, match=r"starts with postgresql\+asyncpg://"):
        settings_class()


def refusal_of(module: str, tmp_path, **env: str) -> str:
    """What ``python -m <module>`` says as it refuses to start (exit 1, no traceback)."""
    started = subprocess.run([sys.executable, "-m", module], capture_output=True, text=True, timeout=60, check=False,
                             env={**os.environ, "SCIMFLOW_DATA_DIR": str(tmp_path), **env})
    assert started.returncode == 1 and "Traceback" not in started.stderr
    assert "refusing to start" in started.stderr
    return started.stderr


@pytest.mark.parametrize("variable", ["SCIMFLOW_DATABASE_URL", "SCIMFLOW_NOTIFIER_DATABASE_URL"])
def test_a_process_refuses_another_url_in_words_without_its_password(tmp_path, variable):
    said = refusal_of("services.notifier", tmp_path, **{variable: "postgresql://app:hunter2@db.example/scim"})
    assert "starts with postgresql+asyncpg://" in said and "hunter2" not in said
