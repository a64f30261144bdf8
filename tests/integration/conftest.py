"""The real system: every service as its own process (the launcher ``make run`` uses), real broker.

Starting a system takes seconds (and a few CPU seconds a process), so the tests that need only *a* running
system, and make tenants of their own, share one: ``running_system``. The tests that want the notifier's and
the webhooks service's schedules in seconds, and a mail server, share another: ``scheduled_system`` (with
``shared_smtp``). A test that kills or restarts a service, needs settings of its own or counts things across
the whole system gets one of its own: ``fresh_system`` or ``make_system(**env)``.

Every system's services join the same consumer groups on the one broker, so two systems never run at
once: a shared system is stopped before another system starts (and after the last test that uses it), and
the tests run in that order: those sharing ``running_system``, then those sharing ``scheduled_system``, then
those with systems of their own, so each shared one starts once (``pytest_collection_modifyitems``). Under
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
from tests.support.smtp import SmtpServer

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


#: The shared systems by the fixture that hands each out, in the order their tests run.
SHARED = pytest.StashKey[dict[str, SharedSystem]]()
PLAIN, SCHEDULED = "running_system", "scheduled_system"


#: Webhook retries a few seconds apart (production: 5 s doubling to an hour), so a test ends soon after an outage.
FAST_RETRIES = {"SCIMFLOW_WEBHOOKS_RETRY_BASE_SECONDS": "1", "SCIMFLOW_WEBHOOKS_RETRY_MAX_SECONDS": "4"}


def scheduled_env(smtp_port: int) -> dict[str, str]:
    """``scheduled_system``'s settings: mail to ``smtp_port``; sent, digested, reminded and retried within
    seconds (production: minutes to hours)."""
    return {"SCIMFLOW_SMTP_PORT": str(smtp_port), "SCIMFLOW_DELIVERY_POLL_SECONDS": "0.5",
            "SCIMFLOW_FAILURE_DIGEST_MINUTES": "0.05", "SCIMFLOW_FAILURE_DIGEST_CHECK_SECONDS": "0.5",
            "SCIMFLOW_REMINDER_INTERVAL_SECONDS": "0.5", **FAST_RETRIES}


@pytest.fixture(scope="session")
def shared_smtp() -> Iterator[SmtpServer]:
    """The mail server of ``scheduled_system``: its tests share the mailbox, each reads its own admins' mail."""
    smtp = SmtpServer(free_port())
    smtp.start()
    yield smtp
    smtp.stop()


@pytest.fixture(scope="session")
def shared_systems(kafka_broker: BrokerAccess, tmp_path_factory, pytestconfig) -> Iterator[dict[str, SharedSystem]]:
    """Each shared system's keeper, started when first asked for; the scheduled one's environment is only known
    once its mail server runs, so it is made then."""
    shared = {PLAIN: SharedSystem(lambda: new_system(kafka_broker, tmp_path_factory.mktemp("shared-system")))}
    pytestconfig.stash[SHARED] = shared  # for the hook that stops each after the last test using it
    yield shared
    stop_all(shared)


def stop_all(shared: dict[str, SharedSystem]) -> None:
    for keeper in shared.values():
        keeper.stop()


@pytest.fixture
def running_system(shared_systems: dict[str, SharedSystem], request: pytest.FixtureRequest) -> Iterator[System]:
    """A running system shared with other tests: make your own tenants, count only what is theirs.
    A failed test shows what the services logged while it ran."""
    yield from shared_for_the_test(shared_systems, PLAIN, request)


@pytest.fixture
def scheduled_system(shared_systems: dict[str, SharedSystem], shared_smtp: SmtpServer, kafka_broker: BrokerAccess,
                     tmp_path_factory, request: pytest.FixtureRequest) -> Iterator[System]:
    """A running system shared with other tests, its schedules in seconds (``scheduled_env``), its mail going to
    ``shared_smtp``: make your own tenants and admins, read only their mail."""
    if SCHEDULED not in shared_systems:
        env = scheduled_env(shared_smtp.port)
        shared_systems[SCHEDULED] = SharedSystem(
            lambda: new_system(kafka_broker, tmp_path_factory.mktemp("scheduled-system"), **env))
    yield from shared_for_the_test(shared_systems, SCHEDULED, request)


def shared_for_the_test(shared: dict[str, SharedSystem], name: str, request: pytest.FixtureRequest) -> Iterator[System]:
    """The shared system ``name``, running (any other stopped first); its logs of the test's time if it failed."""
    for other, keeper in shared.items():
        if other != name:
            keeper.stop()
    keeper = shared[name]
    system = keeper.running()
    logged_before = log_sizes(system)
    yield system
    if failed(request.node) or system.dead():
        show_logs_of(system, since=logged_before)
    if system.dead():  # a service died: the next test gets a whole system, not this one's wreck
        keeper.stop()


@pytest.fixture
def make_system(kafka_broker: BrokerAccess, tmp_path_factory,
                shared_systems: dict[str, SharedSystem]) -> Iterator[Callable[..., System]]:
    """``make_system(**env)``: a system of the test's own (not started), with extra environment."""
    systems: list[System] = []

    def make(**extra_env: str) -> System:
        stop_all(shared_systems)  # their services would join this system's consumer groups
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
    """The tests sharing ``running_system`` (or none) first, then those sharing ``scheduled_system``, then those
    making systems of their own, so each shared one starts once (otherwise in file order); only this
    directory's tests move, among themselves."""
    places = [index for index, item in enumerate(items) if HERE in item.path.parents]
    ordered = sorted((items[index] for index in places), key=system_rank)
    for index, item in zip(places, ordered, strict=True):
        items[index] = item


def system_rank(item: pytest.Item) -> int:
    """0: the plain shared system or none; 1: the scheduled shared system; 2: a system of its own."""
    names = getattr(item, "fixturenames", ())
    return 2 if "make_system" in names else 1 if SCHEDULED in names else 0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Each phase's report on the test, for ``running_system`` to tell a failed test at its teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After the test's fixtures are gone: stop each shared system unless the next test may use it."""
    try:
        return (yield)
    finally:
        for name, keeper in item.config.stash.get(SHARED, {}).items():
            if not may_share(nextitem, name):
                keeper.stop()


def may_share(item: pytest.Item | None, name: str) -> bool:
    """A test of this directory that may use the shared system ``name``: one of those sharing it; for the plain
    one, also any that runs no system at all (its own broker's does not count)."""
    if item is None or HERE not in item.path.parents:
        return False
    return system_rank(item) == (0 if name == PLAIN else 1)


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


def exit_of(system: System, service: str, timeout: float = 60.0) -> tuple[int, str]:
    """A service started to be refused: its exit status once it stopped by itself (else it is stopped), its log."""
    process = system.start_service(service)
    try:
        wait_until(lambda: not process.alive(), timeout=timeout)
    finally:
        status = process.terminate()
    return status, (system.log_dir / f"{process.instance_id}.log").read_text()


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.2) -> object:
    """Poll with a deadline (never a bare sleep in tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")
