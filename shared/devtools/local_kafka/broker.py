"""One local broker (``LocalKafka``): its folder holds its config, storage, logs and pidfile.

It listens twice for clients: PLAINTEXT, and SASL_PLAINTEXT with SCRAM (scram.py) for the processes that
must prove they can log in.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import shlex
import signal
import struct
import subprocess
import time
import uuid
from pathlib import Path

from shared.devtools.local_kafka import scram
from shared.devtools.local_kafka.jars import KAFKA_SCRIPTS, ensure_jars
from shared.devtools.local_kafka.processes import (
    HOST,
    cmdline_mentions,
    error_lines,
    free_port,
    java,
    pid_alive,
    port_accepts,
    tail_file,
    tail_text,
)
from shared.devtools.local_kafka.wire import KafkaProtocolError, cluster_metadata
from shared.messaging.transport import MAX_RECORD_BYTES

log = logging.getLogger(__name__)

LOG4J_CONFIG = KAFKA_SCRIPTS / "log4j2.xml"

STATE_FILE = "broker.json"
CLUSTER_ID_FILE = "cluster.id"
PROPERTIES_FILE = "server.properties"
STDOUT_FILE = "kafka.out"
SERVER_LOG = "server.log"
DATA_DIR = "data"

NODE_ID = 1
# Small footprint and fast start-up on a 2-core machine. C1 only: quicker warm-up, and on 2 cores
# cheaper for runs of minutes too (bench, 2026-12-02: the full JIT's compiling doubled the broker's
# CPU in a create phase, 5.5-6 -> 10-14.5 s, and it was no cheaper in the phase after).
JVM_OPTIONS = (
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)
#: Extra JVM options after the defaults (a later -XX option wins), e.g. ``-XX:TieredStopAtLevel=4`` for
#: the full JIT of a long-running production broker.
JVM_OPTIONS_ENV = "SCIMFLOW_KAFKA_JVM_OPTIONS"


class LocalKafka:
    """One broker living in ``workdir``: config, storage, logs and pidfile all stay there.

    Because the pidfile is in the workdir, any process can find, reuse or stop the broker
    that another process started there.
    """

    def __init__(self, workdir: Path, port: int, controller_port: int | None = None,
                 sasl_port: int | None = None) -> None:
        self.workdir = Path(workdir).resolve()
        self.port = port
        self.controller_port = controller_port if controller_port is not None else free_port(other_than={port})
        #: The SASL_PLAINTEXT (SCRAM) listener's port; None: none (a folder formatted before it, or a
        #: broker adopted that was started without it).
        self.sasl_port: int | None = (
            sasl_port if sasl_port is not None else free_port(other_than={port, self.controller_port}))
        self.already_running = False
        self._process: subprocess.Popen[bytes] | None = None
        self._exit_status: int | None = None  # of the broker this object started, once reaped

    # ---- public API

    @property
    def bootstrap_servers(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def sasl_bootstrap_servers(self) -> str | None:
        """The SCRAM listener's address (log in as ``scram_user``), or None: this broker has none."""
        return f"{HOST}:{self.sasl_port}" if self.sasl_port is not None and self.scram_user else None

    @property
    def scram_user(self) -> scram.ScramUser | None:
        return scram.load_user(self.workdir)

    @property
    def pid(self) -> int | None:
        """Pid of the live broker of this workdir, or None."""
        return self._live_pid()

    @property
    def cluster_id(self) -> str | None:
        path = self.workdir / CLUSTER_ID_FILE
        return path.read_text().strip() if path.is_file() else None

    @property
    def log_path(self) -> Path:
        return self.workdir / SERVER_LOG

    @classmethod
    def from_pidfile(cls, workdir: Path) -> LocalKafka | None:
        """The broker recorded in ``workdir`` (running or not), or None if there is no pidfile."""
        state = _read_state(Path(workdir) / STATE_FILE)
        if state is None:
            return None
        return cls(workdir, state["port"], state["controller_port"], state.get("sasl_port"))

    @classmethod
    def stop_from_pidfile(cls, workdir: Path, timeout: float = 30.0) -> bool:
        """Stop whatever broker ``workdir`` records; True if one was running."""
        broker = cls.from_pidfile(workdir)
        return broker.stop(timeout) if broker is not None else False

    def is_running(self) -> bool:
        return self._live_pid() is not None

    def answers(self, timeout: float = 2.0) -> bool:
        """True once this workdir's broker serves requests as an unfenced cluster member."""
        try:
            metadata = cluster_metadata(HOST, self.port, timeout)
        except (OSError, KafkaProtocolError, struct.error):
            return False
        return metadata.cluster_id == self.cluster_id and NODE_ID in metadata.broker_ids

    def start(self, timeout: float = 60.0) -> LocalKafka:
        """Start the broker (or adopt the one already running here) and wait until it serves."""
        if self._live_pid() is not None:
            return self if self._process is not None else self._adopt(timeout)
        jars = ensure_jars()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._check_ports_free()
        self._prepare_scram_user()
        self._write_properties()
        self._format_storage(jars)
        self._launch(jars)
        try:
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM the broker's process group, SIGKILL after ``timeout``; True if one was running."""
        pid = self._live_pid()
        if pid is not None:
            self._signal_group(pid, signal.SIGTERM)
            if not self._wait_for_exit(pid, timeout):
                log.warning("Kafka (pid %s) ignored SIGTERM for %ss; killing it", pid, timeout)
                self._signal_group(pid, signal.SIGKILL)
                self._wait_for_exit(pid, 10.0)
        self._reap()
        (self.workdir / STATE_FILE).unlink(missing_ok=True)
        return pid is not None

    def __enter__(self) -> LocalKafka:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop only a broker this instance launched; an adopted one belongs to someone else."""
        if not self.already_running:
            self.stop()

    def __repr__(self) -> str:
        return f"LocalKafka(workdir={str(self.workdir)!r}, port={self.port})"

    # ---- start-up steps

    def _adopt(self, timeout: float) -> LocalKafka:
        state = _read_state(self.workdir / STATE_FILE) or {}
        if state.get("port") != self.port:
            raise RuntimeError(
                f"A Kafka broker from {self.workdir} is already running on port {state.get('port')}, "
                f"not {self.port}; stop it first."
            )
        self.controller_port = state["controller_port"]
        self.sasl_port = state.get("sasl_port")  # none in the state of a broker started without the listener
        self.already_running = True
        self._wait_until_ready(timeout)
        log.info("Reusing the Kafka broker already running at %s", self.bootstrap_servers)
        return self

    def _check_ports_free(self) -> None:
        """Fail fast: the probe would otherwise happily talk to a stranger's broker on this port."""
        for port in (self.port, self.controller_port, self.sasl_port):
            if port is not None and port_accepts(port):
                raise RuntimeError(f"Port {port} is already in use; cannot start Kafka from {self.workdir}.")

    def _prepare_scram_user(self) -> None:
        """A user for a storage about to be formatted; a folder formatted without one runs without SASL."""
        if self.scram_user is None and not self._formatted():
            scram.save_user(self.workdir, scram.new_user())
        if self.scram_user is None:
            self.sasl_port = None

    def _write_properties(self) -> None:
        client_listeners = [f"PLAINTEXT://{HOST}:{self.port}"]
        if self.sasl_port is not None:
            client_listeners.append(f"{scram.LISTENER}://{HOST}:{self.sasl_port}")
        settings = {
            "process.roles": "broker,controller",
            "node.id": NODE_ID,
            "controller.quorum.voters": f"{NODE_ID}@{HOST}:{self.controller_port}",
            "listeners": ",".join([*client_listeners, f"CONTROLLER://{HOST}:{self.controller_port}"]),
            "advertised.listeners": ",".join(client_listeners),
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map":
                f"PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,{scram.LISTENER}:{scram.LISTENER}",
            **(scram.listener_properties() if self.sasl_port is not None else {}),
            "log.dirs": self.workdir / DATA_DIR,
            "num.partitions": 1,
            "auto.create.topics.enable": "false",
            "log.cleaner.enable": "true",
            "offsets.topic.replication.factor": 1,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            "group.initial.rebalance.delay.ms": 0,
            "message.max.bytes": MAX_RECORD_BYTES,  # the topics we create say so too; this covers the rest
        }
        text = "".join(f"{key}={value}\n" for key, value in settings.items())
        (self.workdir / PROPERTIES_FILE).write_text(text)

    def _format_storage(self, jars: Path) -> None:
        """Format once; the cluster id is kept so a restart reuses topics and offsets."""
        if self._formatted():
            return
        cluster_id = self.cluster_id or _new_cluster_id()
        (self.workdir / CLUSTER_ID_FILE).write_text(cluster_id + "\n")
        user = self.scram_user
        command = [
            *self._java_command(jars), "kafka.tools.StorageTool", "format",
            "-t", cluster_id, "-c", str(self.workdir / PROPERTIES_FILE),
            *(scram.format_arguments(user) if user else []),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            output = tail_text(result.stdout + result.stderr, 30)
            raise RuntimeError(f"Formatting Kafka storage in {self.workdir} failed:\n{output}")

    def _formatted(self) -> bool:
        return (self.workdir / DATA_DIR / "meta.properties").is_file()

    def _launch(self, jars: Path) -> None:
        """Own session/process group, so the broker outlives a CLI caller and stop() can signal the group."""
        command = [*self._java_command(jars), "kafka.Kafka", str(self.workdir / PROPERTIES_FILE)]
        self._exit_status = None
        with open(self.workdir / STDOUT_FILE, "ab") as output:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                cwd=self.workdir, start_new_session=True,
            )
        _write_state(self.workdir / STATE_FILE, {
            "pid": self._process.pid, "port": self.port, "controller_port": self.controller_port,
            "sasl_port": self.sasl_port,
        })
        log.info("Started Kafka (pid %s) from %s on %s",
                 self._process.pid, self.workdir, self.bootstrap_servers)

    def _java_command(self, jars: Path) -> list[str]:
        return [
            java(), *JVM_OPTIONS, *shlex.split(os.environ.get(JVM_OPTIONS_ENV, "")),
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            f"-Dkafka.logs.dir={self.workdir}",
            "-cp", f"{jars}/*",
        ]

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._live_pid() is None:
                raise RuntimeError(
                    f"Kafka from {self.workdir} exited during start-up ({self._how_it_ended()}).\n"
                    f"{self._diagnostics()}"
                )
            if self.answers(timeout=1.0):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Kafka from {self.workdir} did not answer on {self.bootstrap_servers} "
                    f"within {timeout}s.\n{self._diagnostics()}"
                )
            time.sleep(0.2)

    def _how_it_ended(self) -> str:
        """A JVM killed early (by a signal, before log4j) leaves no line anywhere: its status says so."""
        if self._exit_status is None:
            return "exit status unknown"
        if self._exit_status < 0:
            return f"killed by {signal.Signals(-self._exit_status).name}"
        return f"exit status {self._exit_status}"

    def _diagnostics(self) -> str:
        """Errors first: a failed start ends in dozens of shutdown lines that bury the cause."""
        return (
            f"--- {SERVER_LOG} (errors) ---\n{error_lines(self.log_path, 10)}\n"
            f"--- {STDOUT_FILE} (tail) ---\n{tail_file(self.workdir / STDOUT_FILE, 20)}\n"
            f"--- {SERVER_LOG} (tail) ---\n{tail_file(self.log_path, 30)}"
        )

    # ---- process bookkeeping

    def _live_pid(self) -> int | None:
        if self._process is not None:
            if self._process.poll() is None:
                return self._process.pid  # our own child says so itself; /proc is for a broker found by pidfile
            self._exit_status = self._process.returncode
            self._process = None  # reaped: it may have been stopped from another process
        state = _read_state(self.workdir / STATE_FILE)
        if state is None:
            return None
        pid = state["pid"]
        if not pid_alive(pid):
            return None
        return pid if cmdline_mentions(pid, str(self.workdir / PROPERTIES_FILE)) else None

    def _wait_for_exit(self, pid: int, timeout: float) -> bool:
        """Wait on our own child (which also reaps it) or poll a foreign pid."""
        if self._process is not None and self._process.pid == pid:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout)
            return self._process.poll() is not None
        deadline = time.monotonic() + timeout
        while pid_alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    @staticmethod
    def _signal_group(pid: int, signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signum)

    def _reap(self) -> None:
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=1)


def _read_state(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _write_state(path: Path, state: dict) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state))
    temporary.replace(path)


def _new_cluster_id() -> str:
    """Same format as Kafka's Uuid.randomUuid; a leading '-' would be read as a CLI flag."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text

