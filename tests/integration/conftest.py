"""The real system: every service as its own process (the launcher ``make run`` uses), real broker.

Starting a system takes seconds, so the tests that need only *a* running system, and make tenants of
their own, share one: ``running_system``. A test that kills or restarts a service, needs settings of
its own or counts things across the whole system gets one of its own: ``fresh_system`` or
``make_system(**env)``.

Every system's services join the same consumer groups on the one broker, so two systems never run at
once: the shared system is stopped before a test that makes its own (and after the last test that uses
it), and the tests that share it run first, so it starts once (``pytest_collection_modifyitems``). Under
``make test``'s xdist workers each worker has a broker of its own, and the tests sharing a system are one
work unit of one worker (tests/support/parallel.py).
"""

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

from shared.devtools.broker_choice import BrokerAccess
from shared.devtools.launcher import System
from shared.devtools.local_kafka import free_port
from shared.operator_key import operator_key
from tests.support.seats import product_body

pytestmark = pytest.mark.integration

# Short enough that the "user store down" test is quick, long enough for a loaded CI machine.
REQUEST_TIMEOUT = "3"
HERE = Path(__file__).parent
#: How many characters of each service log a failed test shows.
LOG_TAIL = 4000


class SharedSystem:
    """The one system the tenant-isolated tests share: started when first asked for, stopped before
    anything else runs a system on the broker."""

    def __init__(self, new: Callable[[], System]) -> None:
        self._new = new
        self.system: System | None = None

    def running(self) -> System:
        if self.system is None:
            system = self._new()
            try:
                system.start()
            except BaseException:
                system.stop()
                show_logs_of(system)  # why it did not start, in the report of the test that wanted it
                raise
            self.system = system
        return self.system

    def stop(self) -> None:
        if self.system is not None:
            system, self.system = self.system, None
            system.stop()


SHARED = pytest.StashKey[SharedSystem]()


@pytest.fixture(scope="session")
def shared_system(kafka_broker: BrokerAccess, tmp_path_factory, pytestconfig) -> Iterator[SharedSystem]:
    shared = SharedSystem(lambda: new_system(kafka_broker, tmp_path_factory.mktemp("shared-system")))
    pytestconfig.stash[SHARED] = shared  # for the hook that stops it after the last test using it
    yield shared
    shared.stop()


@pytest.fixture
def running_system(shared_system: SharedSystem, request: pytest.FixtureRequest) -> Iterator[System]:
    """A running system shared with other tests: make your own tenants, count only what is theirs.
    A failed test shows what the services logged while it ran."""
    system = shared_system.running()
    logged_before = log_sizes(system)
    yield system
    if failed(request.node) or system.dead():
        show_logs_of(system, since=logged_before)
    if system.dead():  # a service died: the next test gets a whole system, not this one's wreck
        shared_system.stop()


@pytest.fixture
def make_system(kafka_broker: BrokerAccess, tmp_path_factory,
                shared_system: SharedSystem) -> Iterator[Callable[..., System]]:
    """``make_system(**env)``: a system of the test's own (not started), with extra environment."""
    systems: list[System] = []

    def make(**extra_env: str) -> System:
        shared_system.stop()  # its services would join this system's consumer groups
        system = new_system(kafka_broker, tmp_path_factory.mktemp("system"), **extra_env)
        systems.append(system)
        return system

    yield make
    for system in systems:
        system.stop()
        show_logs_of(system)


@pytest.fixture
def fresh_system(make_system) -> System:
    """A running system of the test's own, for a test that kills or restarts its services."""
    system = make_system()
    system.start()
    return system


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that make systems of their own run after those sharing one, so the shared one starts
    once (otherwise in file order); only this directory's tests move, among themselves."""
    places = [index for index, item in enumerate(items) if HERE in item.path.parents]
    ordered = sorted((items[index] for index in places), key=makes_its_own_system)
    for index, item in zip(places, ordered, strict=True):
        items[index] = item


def makes_its_own_system(item: pytest.Item) -> bool:
    return "make_system" in getattr(item, "fixturenames", ())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Each phase's report on the test, for ``running_system`` to tell a failed test at its teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After the test's fixtures are gone: stop the shared system unless the next test may use it."""
    try:
        return (yield)
    finally:
        if (shared := item.config.stash.get(SHARED, None)) and not may_share(nextitem):
            shared.stop()


def may_share(item: pytest.Item | None) -> bool:
    """A test of this directory that runs no system of its own (its own broker's does not count)."""
    return item is not None and HERE in item.path.parents and not makes_its_own_system(item)


def failed(item: pytest.Item) -> bool:
    return any(getattr(getattr(item, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))


def new_system(broker: BrokerAccess, root: Path, *, portal: bool = False, **extra_env: str) -> System:
    """A system (not started yet) keeping its data and logs under ``root``; with the Admin Portal if asked.
    Its services reach the broker as ``broker.services_env`` says: on the local broker over SASL/SCRAM, so
    every integration test runs the services on a secured listener (issue 26)."""
    (root / "logs").mkdir()
    return System(
        broker.bootstrap_servers, root / "data", http_port=free_port(), log_dir=root / "logs",
        kafka_env=dict(broker.services_env),
        portal_port=free_port() if portal else None,
        extra_env={"SCIMFLOW_REQUEST_TIMEOUT": REQUEST_TIMEOUT, **extra_env},
        # Group members of its own: another system's killed member, not timed out yet, is not one of ours.
        instance_prefix=f"{root.name}-",
    )


def log_sizes(system: System) -> dict[Path, int]:
    return {log: log.stat().st_size for log in system.log_dir.glob("*.log")}


def show_logs_of(system: System, since: dict[Path, int] | None = None) -> None:
    """Service logs end up in the test report (pytest shows captured output of failed tests); with
    ``since`` (each log's size earlier), only what was logged after."""
    for log in sorted(system.log_dir.glob("*.log")):
        with log.open("rb") as file:
            file.seek((since or {}).get(log, 0))
            text = file.read().decode(errors="replace")
        print(f"----- {log.name}{' (while the test ran)' if since is not None else ''} -----\n{text[-LOG_TAIL:]}")


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
