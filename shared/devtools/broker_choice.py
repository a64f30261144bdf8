"""Pick a Kafka broker for tests and local runs: configured > Docker (testcontainers) > local jars.

Developers with Docker get the usual testcontainers broker; machines without an engine (like
CI here) fall back to ``LocalKafka``; an explicitly configured cluster always wins so the same
suite can run against shared infrastructure.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from shared.devtools.local_kafka import LocalKafka, free_port

log = logging.getLogger(__name__)

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"
IMAGE_ENV = "KAFKA_IMAGE"
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


@contextlib.contextmanager
def kafka_bootstrap(workdir: Path, port: int | None = None) -> Iterator[str]:
    """Yield bootstrap servers; whatever this started is stopped on exit.

    ``port`` fixes the local broker's port (``make run``); tests leave it to a free port.
    """
    configured = os.environ.get(BOOTSTRAP_ENV, "").strip()
    if configured:
        log.info("Using the Kafka cluster from $%s: %s", BOOTSTRAP_ENV, configured)
        yield configured
    elif docker_available():
        with _container_kafka() as servers:
            log.info("Using a testcontainers Kafka at %s", servers)
            yield servers
    else:
        with _local_kafka(Path(workdir), port or free_port()) as broker:
            log.info("No Docker engine; using a local Kafka from jars at %s", broker.bootstrap_servers)
            yield broker.bootstrap_servers


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
