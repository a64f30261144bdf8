"""Pick a Kafka broker for tests and local runs: configured > Docker (testcontainers) > local jars.

Developers with Docker get the usual testcontainers broker; machines without an engine (like
CI here) fall back to ``LocalKafka``; an explicitly configured cluster always wins so the same
suite can run against shared infrastructure.

On the local broker the processes a system starts log in over its SCRAM listener (``BrokerAccess``), so
the integration tests prove the SASL path in the same run; elsewhere everything stays as configured.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from shared.devtools.local_kafka import LocalKafka, free_port

log = logging.getLogger(__name__)

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
IMAGE_ENV = "KAFKA_IMAGE"
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class BrokerAccess:
    """How the chosen broker is reached: ``bootstrap_servers`` by in-process clients (as configured, or
    PLAINTEXT), ``services_env`` the environment that points a service process at it (launcher.System)."""

    bootstrap_servers: str
    services_env: Mapping[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def kafka_bootstrap(workdir: Path, port: int | None = None) -> Iterator[str]:
    """Yield bootstrap servers; whatever this started is stopped on exit.

    ``port`` fixes the local broker's port (``make run``); tests leave it to a free port.
    """
    with kafka_broker(workdir, port) as access:
        yield access.bootstrap_servers


@contextlib.contextmanager
def kafka_broker(workdir: Path, port: int | None = None) -> Iterator[BrokerAccess]:
    """As ``kafka_bootstrap``, with how service processes reach the broker."""
    configured = os.environ.get(BOOTSTRAP_ENV, "").strip()
    if configured:
        log.info("Using the Kafka cluster from $%s: %s", BOOTSTRAP_ENV, configured)
        yield BrokerAccess(configured)
    elif docker_available():
        with _container_kafka() as servers:
            log.info("Using a testcontainers Kafka at %s", servers)
            yield BrokerAccess(servers)
    else:
        with _local_kafka(Path(workdir), port or free_port()) as broker:
            log.info("No Docker engine; using a local Kafka from jars at %s", broker.bootstrap_servers)
            yield BrokerAccess(broker.bootstrap_servers, scram_env(broker))


def scram_env(broker: LocalKafka) -> dict[str, str]:
    """The settings that send a service to ``broker``'s SCRAM listener; none if it has none (a folder
    formatted before the listener existed)."""
    user, servers = broker.scram_user, broker.sasl_bootstrap_servers
    if user is None or servers is None:
        return {}
    return {
        BOOTSTRAP_ENV: servers,
        "SCIMFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "SCIMFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "SCIMFLOW_KAFKA_SASL_USERNAME": user.username,
        "SCIMFLOW_KAFKA_SASL_PASSWORD": user.password,
    }


def _local_kafka(workdir: Path, port: int) -> LocalKafka:
    """Reuse a broker already running from ``workdir`` (left running on exit); else a new one."""
    existing = LocalKafka.from_pidfile(workdir)
    if existing is not None and existing.is_running():
        return existing
    return LocalKafka(workdir, port)


def docker_available(timeout: float = 1.0) -> bool:
    """True if a Docker engine answers ``/_ping``; never raises, and is quick when none runs.

    A raw HTTP ping over the socket avoids importing the Docker SDK (and its retries and
    tracebacks) just to learn that there is no engine.
    """
    host = os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST
    parts = urlsplit(host)
    try:
        if parts.scheme == "unix":
            return _http_ping(_unix_socket(parts.path, timeout))
        if parts.scheme in ("tcp", "http") and not os.environ.get("DOCKER_TLS_VERIFY"):
            connection = socket.create_connection((parts.hostname, parts.port or 2375), timeout=timeout)
            return _http_ping(connection)
    except OSError:
        return False
    return _sdk_ping(timeout)


def _unix_socket(path: str, timeout: float) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


def _http_ping(sock: socket.socket) -> bool:
    with sock:
        sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        status_line = sock.recv(1024).split(b"\r\n", 1)[0]
    return status_line.split(b" ")[1:2] == [b"200"]


def _sdk_ping(timeout: float) -> bool:
    """TLS or ssh engines are left to the Docker SDK, which knows how to reach them."""
    try:
        import docker

        return bool(docker.from_env(timeout=max(1, round(timeout))).ping())
    except Exception:  # noqa: BLE001 - any failure simply means "no usable engine"
        return False


@contextlib.contextmanager
def _container_kafka() -> Iterator[str]:
    """A KRaft testcontainers broker configured like LocalKafka (no topic auto-creation)."""
    try:
        from testcontainers.community.kafka import KafkaContainer
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from testcontainers.kafka import KafkaContainer
    image = os.environ.get(IMAGE_ENV)
    container = KafkaContainer(image) if image else KafkaContainer()
    container.with_kraft().with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
    with container:
        yield container.get_bootstrap_server()
