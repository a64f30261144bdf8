"""A real single-node Apache Kafka broker (KRaft, combined broker+controller) without Docker.

The development machines and CI have Java and Maven Central but no Docker engine, so the
broker is run straight from Kafka's own jars, resolved once by Maven into a cache inside the
repository. Readiness is judged by speaking the Kafka protocol to the broker, because an open
TCP port only means the acceptor is up, not that the broker is unfenced and serving requests.

CLI::

    python -m shared.devtools.local_kafka start|stop|status [--dir DIR] [--port N]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Container, Iterator
from pathlib import Path
from typing import NamedTuple

from shared.devtools import REPO_ROOT
from shared.messaging.transport import MAX_RECORD_BYTES

log = logging.getLogger(__name__)

KAFKA_SCRIPTS = REPO_ROOT / "scripts" / "kafka"
POM_PATH = KAFKA_SCRIPTS / "pom.xml"
LOG4J_CONFIG = KAFKA_SCRIPTS / "log4j2.xml"
CACHE_DIR = REPO_ROOT / ".cache" / "kafka"
JAR_DIR = CACHE_DIR / "jars"
DEFAULT_RUN_DIR = CACHE_DIR / "run"

JAR_STAMP = ".complete"
STATE_FILE = "broker.json"
CLUSTER_ID_FILE = "cluster.id"
PROPERTIES_FILE = "server.properties"
STDOUT_FILE = "kafka.out"
SERVER_LOG = "server.log"
DATA_DIR = "data"

NODE_ID = 1
HOST = "127.0.0.1"
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

API_METADATA = 3
API_VERSIONS = 18


class KafkaProtocolError(Exception):
    """The peer answered, but not like a healthy Kafka broker."""


class ClusterMetadata(NamedTuple):
    cluster_id: str | None
    broker_ids: tuple[int, ...]


# --------------------------------------------------------------------------- jars


def ensure_jars() -> Path:
    """Return the directory of broker jars, running Maven only if the cache is stale.

    The stamp file holds the pom's hash and is written only after a complete copy, so an
    interrupted download is redone and a warm run never touches the network.
    """
    digest = _pom_digest()
    if _jars_current(digest):
        return JAR_DIR
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with _file_lock(CACHE_DIR / "jars.lock"):
        if _jars_current(digest):
            return JAR_DIR
        staging = Path(tempfile.mkdtemp(prefix="jars.", dir=CACHE_DIR))
        try:
            _copy_dependencies(staging)
            (staging / JAR_STAMP).write_text(digest)
            staging.chmod(0o755)
            shutil.rmtree(JAR_DIR, ignore_errors=True)
            staging.rename(JAR_DIR)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return JAR_DIR


def _pom_digest() -> str:
    return hashlib.sha256(POM_PATH.read_bytes()).hexdigest()


def _jars_current(digest: str) -> bool:
    stamp = JAR_DIR / JAR_STAMP
    return stamp.is_file() and stamp.read_text().strip() == digest


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise concurrent downloads (e.g. parallel test workers) on one cache."""
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_dependencies(target: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven ('mvn') is not on PATH; it is needed once to fetch the Kafka jars.")
    command = [
        mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(POM_PATH), "dependency:copy-dependencies",
        f"-DoutputDirectory={target}", "-DincludeScope=runtime",
    ]
    log.info("Fetching Kafka jars with Maven into %s", JAR_DIR)
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0 or not any(target.glob("*.jar")):
        output = _tail_text(result.stdout + result.stderr, 40)
        raise RuntimeError(f"Maven could not fetch the Kafka jars (exit {result.returncode}):\n{output}")


# --------------------------------------------------------------------------- protocol


def api_versions(host: str, port: int, timeout: float = 2.0) -> dict[int, tuple[int, int]]:
    """Send ApiVersions v0 and return {api_key: (min_version, max_version)}."""
    body = _request(host, port, API_VERSIONS, 0, b"", timeout)
    error, count = struct.unpack_from(">hi", body)
    if error != 0:
        raise KafkaProtocolError(f"ApiVersions failed with error code {error}")
    entries = (struct.unpack_from(">hhh", body, 6 + 6 * i) for i in range(count))
    return {key: (low, high) for key, low, high in entries}


def cluster_metadata(host: str, port: int, timeout: float = 2.0) -> ClusterMetadata:
    """Send Metadata v4 for no topics and return the cluster id and the live (unfenced) brokers."""
    body = _request(host, port, API_METADATA, 4, struct.pack(">ib", 0, 0), timeout)
    offset = 4  # throttle_time_ms
    (count,) = struct.unpack_from(">i", body, offset)
    offset += 4
    broker_ids = []
    for _ in range(count):
        (node_id,) = struct.unpack_from(">i", body, offset)
        _, offset = _read_string(body, offset + 4)  # host
        _, offset = _read_string(body, offset + 4)  # rack, after port
        broker_ids.append(node_id)
    cluster_id, _ = _read_string(body, offset)
    return ClusterMetadata(cluster_id, tuple(broker_ids))


def _request(host: str, port: int, api_key: int, version: int, body: bytes, timeout: float) -> bytes:
    """One request/response round trip (request header v1, response header v0)."""
    correlation_id = 0x5C1F
    client_id = b"scimflow-probe"
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    payload = header + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        response = _recv_exact(sock, size)
    (got,) = struct.unpack_from(">i", response)
    if got != correlation_id:
        raise KafkaProtocolError(f"correlation id mismatch: sent {correlation_id}, got {got}")
    return response[4:]


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise KafkaProtocolError("connection closed mid-response")
        chunks += chunk
    return bytes(chunks)


def _read_string(buffer: bytes, offset: int) -> tuple[str | None, int]:
    (length,) = struct.unpack_from(">h", buffer, offset)
    offset += 2
    if length < 0:
        return None, offset
    return buffer[offset:offset + length].decode(), offset + length


# --------------------------------------------------------------------------- processes


def free_port(*, other_than: Container[int] = ()) -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it), none of ``other_than``: once
    closed, a port the OS just handed out may be handed out again at once."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            if (port := sock.getsockname()[1]) not in other_than:
                return port


def _port_accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
        return True
    return False


def _pid_alive(pid: int) -> bool:
    """True while any thread of the process runs; a zombie holds no port, so it counts as dead.

    Every thread is checked because a JVM's leader thread shows as a zombie while the other
    threads are still running the shutdown hooks.
    """
    tasks = Path(f"/proc/{pid}/task")
    if not Path("/proc/self/task").is_dir():
        return _signal_zero(pid)
    try:
        states = [_task_state(task) for task in tasks.iterdir()]
    except FileNotFoundError:
        return False
    return any(state not in ("Z", "X", None) for state in states)


def _task_state(task: Path) -> str | None:
    try:
        return task.joinpath("stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return None


def _signal_zero(pid: int) -> bool:
    """Fallback without /proc; a PermissionError still proves the process exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _cmdline_mentions(pid: int, needle: str) -> bool:
    """Guard against a recycled pid: the broker's command line names its own properties file."""
    try:
        return needle in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return _pid_alive(pid)


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home, "bin", "java") if java_home else None
    if candidate is not None and candidate.is_file():
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise RuntimeError("Java is not installed (no JAVA_HOME and no 'java' on PATH).")
    return found


def _tail_text(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _tail_file(path: Path, lines: int) -> str:
    try:
        return _tail_text(path.read_text(errors="replace"), lines)
    except FileNotFoundError:
        return "(no file)"


def _error_lines(path: Path, limit: int) -> str:
    """ERROR/FATAL lines and their exception causes, without stack frames or repeats."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no file)"
    wanted = (" ERROR ", " FATAL ", "Caused by: ")
    errors = dict.fromkeys(line for line in lines if any(marker in line for marker in wanted))
    return "\n".join(list(errors)[-limit:]) or "(none)"


def _new_cluster_id() -> str:
    """Same format as Kafka's Uuid.randomUuid; a leading '-' would be read as a CLI flag."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


# --------------------------------------------------------------------------- broker


class LocalKafka:
    """One broker living in ``workdir``: config, storage, logs and pidfile all stay there.

    Because the pidfile is in the workdir, any process can find, reuse or stop the broker
    that another process started there.
    """

    def __init__(self, workdir: Path, port: int, controller_port: int | None = None) -> None:
        self.workdir = Path(workdir).resolve()
        self.port = port
        self.controller_port = controller_port if controller_port is not None else free_port(other_than={port})
        self.already_running = False
        self._process: subprocess.Popen[bytes] | None = None
        self._exit_status: int | None = None  # of the broker this object started, once reaped

    # ---- public API

    @property
    def bootstrap_servers(self) -> str:
        return f"{HOST}:{self.port}"

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
        return cls(workdir, state["port"], state["controller_port"])

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
        self.already_running = True
        self._wait_until_ready(timeout)
        log.info("Reusing the Kafka broker already running at %s", self.bootstrap_servers)
        return self

    def _check_ports_free(self) -> None:
        """Fail fast: the probe would otherwise happily talk to a stranger's broker on this port."""
        for port in (self.port, self.controller_port):
            if _port_accepts(port):
                raise RuntimeError(f"Port {port} is already in use; cannot start Kafka from {self.workdir}.")

    def _write_properties(self) -> None:
        settings = {
            "process.roles": "broker,controller",
            "node.id": NODE_ID,
            "controller.quorum.voters": f"{NODE_ID}@{HOST}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
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
        if (self.workdir / DATA_DIR / "meta.properties").is_file():
            return
        cluster_id = self.cluster_id or _new_cluster_id()
        (self.workdir / CLUSTER_ID_FILE).write_text(cluster_id + "\n")
        command = [
            *self._java_command(jars), "kafka.tools.StorageTool", "format",
            "-t", cluster_id, "-c", str(self.workdir / PROPERTIES_FILE),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            output = _tail_text(result.stdout + result.stderr, 30)
            raise RuntimeError(f"Formatting Kafka storage in {self.workdir} failed:\n{output}")

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
        })
        log.info("Started Kafka (pid %s) from %s on %s",
                 self._process.pid, self.workdir, self.bootstrap_servers)

    def _java_command(self, jars: Path) -> list[str]:
        return [
            _java(), *JVM_OPTIONS, *shlex.split(os.environ.get(JVM_OPTIONS_ENV, "")),
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
            f"--- {SERVER_LOG} (errors) ---\n{_error_lines(self.log_path, 10)}\n"
            f"--- {STDOUT_FILE} (tail) ---\n{_tail_file(self.workdir / STDOUT_FILE, 20)}\n"
            f"--- {SERVER_LOG} (tail) ---\n{_tail_file(self.log_path, 30)}"
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
        if not _pid_alive(pid):
            return None
        return pid if _cmdline_mentions(pid, str(self.workdir / PROPERTIES_FILE)) else None

    def _wait_for_exit(self, pid: int, timeout: float) -> bool:
        """Wait on our own child (which also reaps it) or poll a foreign pid."""
        if self._process is not None and self._process.pid == pid:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout)
            return self._process.poll() is not None
        deadline = time.monotonic() + timeout
        while _pid_alive(pid):
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


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    workdir = Path(args.dir)
    if args.command == "start":
        return _cli_start(workdir, args.port, args.controller_port, args.timeout)
    if args.command == "stop":
        stopped = LocalKafka.stop_from_pidfile(workdir, args.timeout)
        print("stopped" if stopped else "not running")
        return 0
    return _cli_status(workdir)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m shared.devtools.local_kafka", description="Run a local Kafka broker from jars."
    )
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument("--dir", default=str(DEFAULT_RUN_DIR), help="broker folder (default: %(default)s)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("KAFKA_PORT", "9092")),
                        help="client port (default: $KAFKA_PORT or 9092)")
    parser.add_argument("--controller-port", type=int, default=None, help="controller port (default: port+1)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for start/stop")
    return parser.parse_args(argv)


def _cli_start(workdir: Path, port: int, controller_port: int | None, timeout: float) -> int:
    broker = LocalKafka(workdir, port, controller_port if controller_port is not None else port + 1)
    try:
        broker.start(timeout)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(broker.bootstrap_servers)
    return 0


def _cli_status(workdir: Path) -> int:
    broker = LocalKafka.from_pidfile(workdir)
    if broker is None or not broker.is_running():
        print("stopped")
        return 1
    if not broker.answers():
        print(f"running (pid {broker.pid}) but not answering on {broker.bootstrap_servers}")
        return 1
    print(f"running (pid {broker.pid}) on {broker.bootstrap_servers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
