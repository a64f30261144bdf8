"""compose.yaml and the Dockerfile run every service: a new service without a compose entry fails here.

Static checks only (no Docker engine needed); the service list comes from the filesystem.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/__main__.py"))
WORKERS = sorted(set(SERVICES) - {"gateway", "portal"})


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())  # resolves anchors and `<<:` merges


def _default(value: str) -> str:
    """Compose interpolation with the defaults taken: ``${NAME:-default}`` -> ``default``."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def test_services_found() -> None:
    assert "gateway" in SERVICES and "user_store" in SERVICES


def test_kafka_is_the_official_image(compose: dict) -> None:
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert "healthcheck" in compose["services"]["kafka"]


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_runs_in_compose(compose: dict, name: str) -> None:
    service = compose["services"].get(name)
    assert service is not None, f"services/{name} has a __main__.py but no service in compose.yaml"
    assert service["command"] == ["python", "-m", f"services.{name}"]
    assert service["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert _env(service)["KAFKA_BOOTSTRAP_SERVERS"].split(":")[0] == "kafka"


def test_gateway_publishes_8080_and_has_a_healthcheck(compose: dict) -> None:
    gateway = compose["services"]["gateway"]
    published = []
    for port in gateway["ports"]:
        host, _, container = _default(str(port)).rpartition(":")
        if container == "8080":
            first, _, last = host.rpartition(":")[2].partition("-")
            published.append(int(first) <= 8080 <= int(last or first))
    assert any(published), gateway["ports"]
    assert _env(gateway)["SCIMFLOW_HTTP_HOST"] == "0.0.0.0"
    assert "/healthz" in " ".join(gateway["healthcheck"]["test"])


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = re.findall(r"^USER\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert users, "Dockerfile sets no USER"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_the_portal_calls_the_gateway_and_has_a_healthcheck(compose: dict) -> None:
    portal = compose["services"]["portal"]
    assert _env(portal)["SCIMFLOW_PORTAL_API_URL"] == "http://gateway:8080"
    assert _env(portal)["SCIMFLOW_PORTAL_HOST"] == "0.0.0.0"
    assert portal["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert any(_default(str(port)).endswith(":8090") for port in portal["ports"])
    assert "/healthz" in " ".join(portal["healthcheck"]["test"])


@pytest.mark.parametrize("name", WORKERS)
def test_every_worker_is_healthy_when_ready(compose: dict, name: str) -> None:
    """A worker's healthcheck asks /readyz on the ops port its environment opens (shared/ops/)."""
    service = compose["services"][name]
    port = _env(service)["SCIMFLOW_OPS_PORT"]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])


def settings_of(service: str) -> type:
    module = importlib.import_module(f"services.{service}.settings")
    [settings] = [value for name, value in vars(module).items()
                  if name.endswith("Settings") and isinstance(value, type) and value.__module__ == module.__name__]
    return settings


#: The stateful services (their settings say where their state is kept: a database URL, else a SQLite file).
ON_POSTGRES = [name for name in WORKERS if hasattr(settings_of(name), "store")]


def test_postgres_keeps_its_data_in_a_volume_and_has_a_healthcheck(compose: dict) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:") and "ports" not in postgres
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"] and "postgres-data" in compose["volumes"]
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert postgres["environment"]["POSTGRES_INITDB_ARGS"] == "--locale=C.UTF-8"  # ordered as on SQLite


@pytest.mark.parametrize("name", ON_POSTGRES)
def test_every_service_that_can_keeps_its_state_in_postgres(compose: dict, name: str) -> None:
    """No shared disk for its replicas: its own database URL on the postgres service, started once that is."""
    service = compose["services"][name]
    url = _default(_env(service)[f"SCIMFLOW_{name.upper()}_DATABASE_URL"])
    assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url
    assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "volumes" not in service


def test_every_stateful_service_is_on_postgres() -> None:
    assert ON_POSTGRES == ["notifier", "seat_allocator", "sync_status", "user_store", "webhooks"]
