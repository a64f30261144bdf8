"""Runs the whole system as separate OS processes: every worker service and the gateway.

Used by ``scimflow run`` (``make run``) and by the integration tests, so both exercise exactly the
processes an operator runs. Each service is ``python -m services.<name>`` with its settings in the
environment; the gateway and every worker get an ops port of their own (``/metrics``, ``/livez``,
``/readyz``: shared/ops/; ``ServiceProcess.ops_url``). Stopping sends SIGTERM, gateway first (no new
requests) and workers after (each finishes and commits the batch in hand, and leaves its consumer
groups), then SIGKILL for anything stuck.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from shared.devtools import REPO_ROOT
from shared.devtools.local_kafka import free_port

WORKERS = ("user_store", "seat_allocator", "notifier", "sync_status", "webhooks")
GATEWAY = "gateway"
PORTAL = "portal"
SERVICES = (*WORKERS, GATEWAY, PORTAL)
#: The processes with an ops port (shared/ops/).
WITH_OPS_PORT = (*WORKERS, GATEWAY)
#: What a development system allows that production does not (each off by default in the services).
DEVELOPMENT_ENV = {"SCIMFLOW_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true", "SCIMFLOW_WEBHOOKS_ALLOW_HTTP": "true"}


@dataclass
class ServiceProcess:
    service: str
    #: Its name in the system (and its log's): start_service(service, instance_id) starts it again as
    #: the same copy. Its SCIMFLOW_INSTANCE_ID is the system's ``instance_prefix`` + this.
    instance_id: str
    popen: subprocess.Popen
    log: IO[bytes] | None
    #: Its ops port on 127.0.0.1, a new one each start (a free port); 0: none (the portal serves none).
    ops_port: int = 0

    @property
    def ops_url(self) -> str:
        return f"http://127.0.0.1:{self.ops_port}"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self, timeout: float = 15.0) -> int:
        self.ask_to_stop()
        return self.wait_stopped(timeout)

    def ask_to_stop(self) -> None:
        """SIGTERM: the service finishes what it has in hand and exits."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float) -> int:
        """Its exit status, after at most ``timeout`` seconds (then SIGKILL)."""
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        if self.log:
            self.log.close()
        return self.popen.returncode

    def kill(self) -> None:
        """SIGKILL: the crash a test wants to survive."""
        self.popen.kill()
        self.popen.wait()
        if self.log:
            self.log.close()


@dataclass
class System:
    #: Where in-process clients (the tests') reach the broker; the services too unless ``kafka_env`` says else.
    bootstrap_servers: str
    data_dir: Path
    http_port: int = 8080
    http_host: str = "127.0.0.1"
    #: The Admin Portal's port; None: no portal (most tests need none).
    portal_port: int | None = None
    log_dir: Path | None = None  # None: children write to our stderr
    extra_env: dict[str, str] = field(default_factory=dict)
    #: How the services reach the broker beyond ``bootstrap_servers``: the SCIMFLOW_KAFKA_* security settings,
    #: and another listener's KAFKA_BOOTSTRAP_SERVERS (the tests' local broker: SCRAM, broker_choice.scram_env).
    kafka_env: dict[str, str] = field(default_factory=dict)
    #: Development (``make run``, the tests): webhooks may go to this machine and its network, over http.
    development: bool = True
    #: Put before every process's SCIMFLOW_INSTANCE_ID: its name in the consumer groups (static members)
    #: on a broker that other systems used (the tests'), so no dead member of theirs stands for one of ours.
    instance_prefix: str = ""
    #: Each process in a data directory of its own (``data_dir`` / its instance id), sharing no file with
    #: the others, as copies on separate hosts do (their state in PostgreSQL, SCIMFLOW_DATABASE_URL).
    separate_data_dirs: bool = False
    processes: list[ServiceProcess] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.http_host}:{self.http_port}"

    @property
    def portal_url(self) -> str | None:
        return f"http://{self.http_host}:{self.portal_port}" if self.portal_port else None

    def env(self, instance_id: str, ops_port: int) -> dict[str, str]:
        return {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            **self.kafka_env,
            "SCIMFLOW_DATA_DIR": str(self.data_dir / instance_id if self.separate_data_dirs else self.data_dir),
            "SCIMFLOW_HTTP_HOST": self.http_host,
            "SCIMFLOW_HTTP_PORT": str(self.http_port),
            "SCIMFLOW_INSTANCE_ID": instance_id,
            "SCIMFLOW_OPS_PORT": str(ops_port),
            **({"SCIMFLOW_PORTAL_HOST": self.http_host, "SCIMFLOW_PORTAL_PORT": str(self.portal_port)}
               if self.portal_port else {}),
            "PYTHONUNBUFFERED": "1",
            **(DEVELOPMENT_ENV if self.development else {}),
            **self.extra_env,
        }

    def start_service(self, service: str, instance_id: str | None = None) -> ServiceProcess:
        instance_id = instance_id or f"{service}-{len(self.processes) + 1}"
        log = open(self.log_dir / f"{instance_id}.log", "ab") if self.log_dir else None  # noqa: SIM115
        ops_port = free_port(other_than=self._ports_in_use()) if service in WITH_OPS_PORT else 0
        popen = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"], cwd=REPO_ROOT,
            env=self.env(self.instance_prefix + instance_id, ops_port),
            stdout=log or sys.stderr, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only the launcher, which stops in order
        )
        process = ServiceProcess(service, instance_id, popen, log, ops_port)
        self.processes.append(process)
        return process

    def _ports_in_use(self) -> set[int]:
        """Ours already: a port handed out a moment ago, not yet bound by its process, may come again."""
        return {self.http_port, self.portal_port or 0, *(p.ops_port for p in self.processes if p.alive())}

    def start(self, timeout: float = 60.0, replicas: Mapping[str, int] | None = None) -> None:
        """Every service, ``replicas[service]`` processes of it (default one); several gateways share
        the HTTP port (SCIMFLOW_HTTP_REUSE_PORT), several workers of a service share its consumer group."""
        replicas = replicas or {}
        if replicas.get(GATEWAY, 1) > 1:
            self.extra_env["SCIMFLOW_HTTP_REUSE_PORT"] = "true"
        for service in (*WORKERS, GATEWAY):
            for _ in range(replicas.get(service, 1)):
                self.start_service(service)
        if self.portal_port:
            self.start_service(PORTAL)
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Until the gateway and the portal answer and every worker is ready (its /readyz: partitions
        assigned, its database answering): a command sent before a worker joined its group waited for it,
        and on a loaded machine outlived its deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if dead := [p.instance_id for p in self.processes if not p.alive()]:
                raise RuntimeError(f"service(s) exited during start: {', '.join(dead)}")
            if not (waiting := self._not_ready()):
                return
            time.sleep(0.2)
        raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(waiting)}")

    def _not_ready(self) -> list[str]:
        """What was started and does not answer yet (a test may start some workers alone, no gateway)."""
        started = {p.service for p in self.processes}
        edge = [url for url, service in ((self.base_url, GATEWAY), (self.portal_url, PORTAL))
                if url and service in started and not _healthy(f"{url}/healthz")]
        workers = [p.instance_id for p in self.processes
                   if p.service in WORKERS and p.ops_port and not _healthy(f"{p.ops_url}/readyz")]
        return edge + workers

    def stop(self, timeout: float = 15.0) -> None:
        # The edge first (portal, gateways), so no new work arrives while the workers drain. The processes
        # of each step stop side by side: stopping is mostly waiting (on connections, on the broker), and
        # one after another that wait added up to seconds.
        edge = [p for p in self.processes if p.service in (PORTAL, GATEWAY)]
        workers = [p for p in self.processes if p not in edge]
        for step in (edge, workers):
            _terminate_together(step, timeout)
        self.processes.clear()

    def dead(self) -> list[ServiceProcess]:
        return [p for p in self.processes if not p.alive()]


def _terminate_together(processes: list[ServiceProcess], timeout: float) -> None:
    """SIGTERM to all, then each gets what is left of one shared ``timeout`` (then SIGKILL)."""
    for process in processes:
        process.ask_to_stop()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.wait_stopped(max(0.0, deadline - time.monotonic()))


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
