"""Tests for the jar-based local Kafka broker and the broker chooser.

Broker tests start a real JVM, so they share one module-scoped broker wherever possible.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError

from shared.devtools import REPO_ROOT, broker_choice, local_kafka
from shared.devtools.broker_choice import BrokerAccess, docker_available, kafka_bootstrap, kafka_broker
from shared.devtools.local_kafka import (
    LocalKafka,
    api_versions,
    cluster_metadata,
    free_port,
    scram,
)

API_METADATA = 3
API_VERSIONS = 18


def _host_port(bootstrap: str) -> tuple[str, int]:
    host, port = bootstrap.rsplit(":", 1)
    return host, int(port)


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "shared.devtools.local_kafka", *args],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120, check=False,
    )


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    kafka = LocalKafka(tmp_path_factory.mktemp("kafka"), free_port())
    kafka.start()
    yield kafka
    kafka.stop()
    assert not kafka.is_running()


@pytest.mark.integration
def test_broker_answers_kafka_requests(broker: LocalKafka) -> None:
    versions = api_versions("127.0.0.1", broker.port)
    assert API_VERSIONS in versions and API_METADATA in versions

    metadata = cluster_metadata("127.0.0.1", broker.port)
    assert metadata.cluster_id == broker.cluster_id
    assert metadata.broker_ids == (1,)


@pytest.mark.integration
def test_broker_logs_through_log4j_config(broker: LocalKafka) -> None:
    assert "Kafka Server started" in broker.log_path.read_text()


@pytest.mark.integration
def test_second_start_on_same_workdir_reuses_running_broker(broker: LocalKafka) -> None:
    with LocalKafka(broker.workdir, broker.port) as second:
        assert second.already_running
        assert second.pid == broker.pid

    assert broker.is_running(), "leaving an adopted broker's context must not stop it"


@pytest.mark.integration
def test_second_start_with_other_port_is_refused(broker: LocalKafka) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        LocalKafka(broker.workdir, free_port()).start(timeout=5)


@pytest.mark.integration
def test_start_refuses_a_port_in_use(broker: LocalKafka, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="already in use"):
        LocalKafka(tmp_path, broker.port).start(timeout=5)


@pytest.mark.integration
def test_failed_start_reports_the_cause_and_cleans_up(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))  # bound but not listening: only Kafka's own bind fails
        broker = LocalKafka(tmp_path, squatter.getsockname()[1])
        with pytest.raises(RuntimeError, match=r"exited during start-up \(exit status [1-9]\d*\)") as failure:
            broker.start(timeout=30)

    assert "Address already in use" in str(failure.value)
    assert not broker.is_running()
    assert LocalKafka.from_pidfile(tmp_path) is None


def test_the_controller_port_is_never_the_broker_port(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The OS may hand out a port it just handed out (the suite's broker once failed to format so); the
    SCRAM listener's port is neither of them either."""
    handed_out = iter([40001, 40001, 40002, 40002, 40001, 40003])

    class Socket:
        def __init__(self, *args) -> None:
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc_info) -> None:
            pass

        def bind(self, address) -> None:
            pass

        def getsockname(self):
            return ("127.0.0.1", next(handed_out))

    monkeypatch.setattr(socket, "socket", Socket)
    broker = LocalKafka(tmp_path, 40001)
    assert (broker.controller_port, broker.sasl_port) == (40002, 40003)


def _fake_java(home: Path, broker_part: str) -> None:
    """A `java` for LocalKafka (through JAVA_HOME) whose storage format succeeds and whose broker runs
    ``broker_part`` (shell)."""
    java = home / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f'#!/bin/sh\ncase "$*" in *StorageTool*) exit 0;; esac\n{broker_part}\n')
    java.chmod(0o755)


@pytest.fixture
def fake_jvm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Install a fake `java` and return a broker that will run it (no jars, no real JVM)."""
    monkeypatch.setattr(local_kafka.broker, "ensure_jars", lambda: tmp_path / "jars")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))

    def broker_running(broker_part: str) -> LocalKafka:
        _fake_java(tmp_path / "jdk", broker_part)
        return LocalKafka(tmp_path / "kafka", free_port())
    return broker_running


def test_a_folder_formatted_before_the_scram_listener_runs_without_it(fake_jvm) -> None:
    """Its metadata holds no SCRAM user (one is added only when formatting), so a listener would turn
    every login away: the broker runs with PLAINTEXT only, and says so."""
    broker = fake_jvm("exec sleep 30")
    (broker.workdir / "data").mkdir(parents=True)
    (broker.workdir / "data" / "meta.properties").write_text("")
    with pytest.raises(RuntimeError, match="did not answer"):
        broker.start(timeout=1)
    assert broker.sasl_port is None and broker.scram_user is None and broker.sasl_bootstrap_servers is None
    assert "SASL_PLAINTEXT://" not in (broker.workdir / "server.properties").read_text()


def test_a_broker_killed_before_it_logs_anything_is_reported_with_its_signal(fake_jvm) -> None:
    broker = fake_jvm("kill -KILL $$")
    with pytest.raises(RuntimeError, match=r"exited during start-up \(killed by SIGKILL\)"):
        broker.start(timeout=10)
    assert not broker.is_running()


def test_a_starting_broker_of_its_own_is_alive_while_its_process_is(fake_jvm) -> None:
    """Whatever its /proc entry shows meanwhile (here another command line): only a broker found by
    pidfile is judged by it."""
    broker = fake_jvm("exec sleep 30")
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="did not answer"):
        broker.start(timeout=1.5)
    assert time.monotonic() - started >= 1.5
    assert not broker.is_running()  # and the failed start stopped it


@pytest.mark.integration
def test_cli_status_finds_broker_through_pidfile(broker: LocalKafka, tmp_path: Path) -> None:
    running = _run_cli("status", "--dir", str(broker.workdir))
    assert running.returncode == 0, running.stdout + running.stderr
    assert broker.bootstrap_servers in running.stdout
    assert f"SASL/SCRAM on {broker.sasl_bootstrap_servers}" in running.stdout

    stopped = _run_cli("status", "--dir", str(tmp_path))
    assert stopped.returncode == 1
    assert "stopped" in stopped.stdout


@pytest.mark.integration
def test_stop_leaves_no_process_and_restart_reuses_storage(broker: LocalKafka) -> None:
    pid = broker.pid
    cluster_id = broker.cluster_id
    meta = broker.workdir / "data" / "meta.properties"
    formatted_at = meta.stat().st_mtime_ns

    assert LocalKafka.stop_from_pidfile(broker.workdir)
    assert not broker.is_running()  # also reaps the fixture's own child
    assert not Path(f"/proc/{pid}").exists()
    assert not broker.answers(timeout=0.5)

    broker.start()
    assert broker.pid not in (None, pid)
    assert broker.cluster_id == cluster_id
    assert meta.stat().st_mtime_ns == formatted_at
    assert cluster_metadata("127.0.0.1", broker.port).cluster_id == cluster_id
    assert asyncio.run(scram_login(broker, "SCRAM-SHA-512")) == cluster_id  # the user is kept in the storage


async def scram_login(broker: LocalKafka, mechanism: str, password: str | None = None) -> str:
    """The cluster id, asked over the SCRAM listener as the broker's user (or with ``password``)."""
    user = broker.scram_user
    assert user is not None
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.sasl_bootstrap_servers, security_protocol="SASL_PLAINTEXT",
                                sasl_mechanism=mechanism, sasl_plain_username=user.username,
                                sasl_plain_password=password or user.password)
    try:
        await admin.start()
        return (await admin.describe_cluster())["cluster_id"]
    finally:
        await admin.close()


@pytest.mark.integration
@pytest.mark.parametrize("mechanism", scram.MECHANISMS)
def test_the_second_listener_logs_in_the_scram_user_and_no_one_else(broker: LocalKafka, mechanism: str) -> None:
    assert asyncio.run(scram_login(broker, mechanism)) == broker.cluster_id
    with pytest.raises(KafkaConnectionError):
        asyncio.run(scram_login(broker, mechanism, password="not-the-password"))


@pytest.mark.integration
def test_the_scram_listener_is_recorded_for_whoever_finds_the_broker(broker: LocalKafka) -> None:
    state = json.loads((broker.workdir / "broker.json").read_text())
    found = LocalKafka.from_pidfile(broker.workdir)
    assert found is not None and state["sasl_port"] == broker.sasl_port
    assert found.sasl_bootstrap_servers == broker.sasl_bootstrap_servers == f"127.0.0.1:{broker.sasl_port}"
    assert found.scram_user == broker.scram_user and found.scram_user.username == "scimflow"
    assert stat.S_IMODE((broker.workdir / scram.CREDENTIALS_FILE).stat().st_mode) == 0o600
    properties = (broker.workdir / "server.properties").read_text()
    # Only a listener for clients is added: the broker's own traffic stays as it was.
    assert "inter.broker.listener.name=PLAINTEXT\n" in properties
    assert "controller.listener.names=CONTROLLER\n" in properties


def test_stop_without_broker_is_a_no_op(tmp_path: Path) -> None:
    assert LocalKafka.stop_from_pidfile(tmp_path) is False
    assert LocalKafka(tmp_path, free_port()).stop() is False


def test_configured_bootstrap_servers_win_and_start_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("nothing may be started when KAFKA_BOOTSTRAP_SERVERS is set")

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9092")
    monkeypatch.setattr(broker_choice, "docker_available", forbidden)
    monkeypatch.setattr(broker_choice, "LocalKafka", forbidden)
    workdir = tmp_path / "unused"

    with kafka_bootstrap(workdir) as servers:
        assert servers == "kafka.example:9092"
    with kafka_broker(workdir) as access:  # the services use a configured cluster as it is: no SCRAM of ours
        assert access == BrokerAccess("kafka.example:9092")
    assert not workdir.exists()


@pytest.mark.integration
def test_without_docker_falls_back_to_local_kafka(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setattr(broker_choice, "docker_available", lambda: False)

    with kafka_bootstrap(tmp_path) as servers:
        metadata = cluster_metadata(*_host_port(servers))
        assert metadata.broker_ids == (1,)
        pid = LocalKafka.from_pidfile(tmp_path).pid
        assert pid is not None

    assert not Path(f"/proc/{pid}").exists()


@pytest.mark.integration
def test_without_docker_reuses_a_broker_running_in_workdir(
    monkeypatch: pytest.MonkeyPatch, broker: LocalKafka
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setattr(broker_choice, "docker_available", lambda: False)
    pid = broker.pid

    with kafka_bootstrap(broker.workdir) as servers:
        assert servers == broker.bootstrap_servers
    with kafka_broker(broker.workdir) as access:  # the tests' clients on PLAINTEXT, the services on SCRAM
        user = broker.scram_user
        assert user is not None and access == BrokerAccess(broker.bootstrap_servers, {
            "KAFKA_BOOTSTRAP_SERVERS": broker.sasl_bootstrap_servers, "SCIMFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "SCIMFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "SCIMFLOW_KAFKA_SASL_USERNAME": "scimflow",
            "SCIMFLOW_KAFKA_SASL_PASSWORD": user.password})

    assert broker.pid == pid, "a broker the chooser did not start must be left running"


def test_docker_check_is_quick_and_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    available = docker_available()
    assert isinstance(available, bool)
    assert time.monotonic() - started < 3
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("docker_host", ["unix:///nonexistent/docker.sock", "tcp://127.0.0.1:{port}"])
def test_docker_check_is_false_without_engine(monkeypatch: pytest.MonkeyPatch, docker_host: str) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host.format(port=free_port()))
    assert docker_available(timeout=0.5) is False
