"""The real system: every service as its own process (the launcher ``make run`` uses), real broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.devtools.launcher import System
from shared.devtools.local_kafka import free_port
from shared.operator_key import operator_key
from tests.support.seats import product_body

pytestmark = pytest.mark.integration

# Short enough that the "user store down" test is quick, long enough for a loaded CI machine.
REQUEST_TIMEOUT = "3"


@pytest.fixture
def make_system(kafka_bootstrap_servers: str, tmp_path_factory) -> Iterator[Callable[..., System]]:
    systems: list[System] = []

    def make(**extra_env: str) -> System:
        system = new_system(kafka_bootstrap_servers, tmp_path_factory.mktemp("system"), **extra_env)
        systems.append(system)
        return system

    yield make
    for system in systems:
        system.stop()
        show_logs_of(system)


def new_system(kafka_bootstrap_servers: str, root: Path, *, portal: bool = False, **extra_env: str) -> System:
    """A system (not started yet) keeping its data and logs under ``root``; with the Admin Portal if asked."""
    (root / "logs").mkdir()
    return System(
        kafka_bootstrap_servers, root / "data", http_port=free_port(), log_dir=root / "logs",
        portal_port=free_port() if portal else None,
        extra_env={"SCIMFLOW_REQUEST_TIMEOUT": REQUEST_TIMEOUT, **extra_env},
    )


def show_logs_of(system: System) -> None:
    """Service logs end up in the test report (pytest shows captured output of failed tests)."""
    for log in sorted(system.log_dir.glob("*.log")):
        print(f"----- {log.name} -----\n{log.read_text()[-4000:]}")


@pytest.fixture
def running_system(make_system) -> System:
    system = make_system()
    system.start()
    return system


def create_tenant(system: System, name: str = "acme") -> dict:
    """Through the real CLI, as the README tells a new user to do."""
    env = {**os.environ, "SCIMFLOW_DATA_DIR": str(system.data_dir), "SCIMFLOW_URL": system.base_url}
    scimflow = Path(sys.executable).with_name("scimflow")
    done = subprocess.run([scimflow, "tenant", "create", name], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def operator_headers(system: System) -> dict[str, str]:
    """The operator key the system's gateway uses (the file a first ``make run`` writes)."""
    return {"Authorization": f"Bearer {operator_key(None, system.data_dir)}"}


def subscribe_product(system: System, tenant_id: str, product: str, seats: int) -> dict:
    """The operator sells the tenant ``seats`` seats of ``product`` (admin API, real HTTP)."""
    request = urllib.request.Request(f"{system.base_url}/admin/v1/tenants/{tenant_id}/products", method="POST",
                                     data=json.dumps(product_body(product, seats)).encode(),
                                     headers={**operator_headers(system), "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.2) -> object:
    """Poll with a deadline (never a bare sleep in tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")
