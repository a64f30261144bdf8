"""``python -m bench``: start the whole system on a real broker, load it phase by phase, print a table.

The system runs as ``make run`` runs it (``shared.devtools.launcher.System``: every service its own
process) on a broker of its own (``$KAFKA_BOOTSTRAP_SERVERS`` if set, else the local KRaft broker
from jars), in a temporary data directory, on free ports; its services keep their state in SQLite
files there, or with ``--db postgres`` in PostgreSQL (bench/database.py). The load client runs in this process, on
its own event loop, and drives the gateway over HTTP like an IdP. Results go to stdout and, with the
command line and the machine, to bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import orjson

from bench import procstat
from bench.client import Call, OnBody, Task, drive, session, take_calls
from bench.database import POSTGRES, BenchDatabase, describe_database, open_database
from bench.phases import PHASES, USERS, World, create_users
from bench.report import (
    CLIENT,
    PhaseResult,
    Report,
    Usage,
    append_results,
    markdown_section,
    render,
)
from bench.settings import Settings, command_line, parse_args
from shared.devtools import REPO_ROOT
from shared.devtools.broker_choice import BOOTSTRAP_ENV, kafka_bootstrap
from shared.devtools.launcher import SERVICES, ServiceProcess, System
from shared.devtools.local_kafka import JVM_OPTIONS_ENV, LocalKafka, free_port
from shared.operator_key import operator_key
from tests.idp_flows.bodies import OKTA_HEADERS

PROFILE_HOOK = Path(__file__).with_name("profiling")
WARM_UP_TIMEOUT = 60.0
#: Settings of the system under load, unless the environment sets them: the per-tenant rate limit
#: (100 calls/s by default) would otherwise turn the load into 429s and measure the limiter.
SYSTEM_ENV = {"SCIMFLOW_RATE_LIMIT_PER_SECOND": "1000000"}


class BenchError(Exception):
    """The system could not be loaded at all (start-up, tenant, set-up calls)."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = parse_args(argv)
    report = Report(command_line(argv), describe(settings), procstat.machine())
    workdir = Path(tempfile.mkdtemp(prefix="scimflow-bench-"))
    aborted = None
    try:
        run_everything(settings, report, workdir)
    except BenchError as error:
        aborted = f"run aborted: {error}"
        print(f"bench: {error}\n(logs in {workdir / 'logs'})", file=sys.stderr)
    finally:
        if aborted or settings.keep or any(phase.timings.error_count for phase in report.phases):
            print(f"bench: data, logs and broker kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if aborted and not report.phases:
        return 1
    report.load_after = procstat.load_average()
    text = render(report)
    print("\n" + text)
    if settings.results is not None:
        append_results(settings.results, markdown_section(report, text, [aborted] if aborted else []))
        print(f"\nbench: appended to {settings.results}", file=sys.stderr)
    if settings.profile is not None:
        from bench.profiling.summary import summarize

        print("\n" + summarize(settings.profile))
    return 1 if aborted else 0


def describe(settings: Settings) -> dict[str, str]:
    mode = "quick" if settings.quick else "full" if not settings.checkpoints else "full + RSS checkpoints"
    described = {
        "mode": mode + (" (profiled under cProfile: slower)" if settings.profile else ""),
        "users": str(settings.users), "concurrency": str(settings.concurrency),
        "phases": ",".join(settings.phases),
        "database": describe_database(settings.database),
        "event loop": os.environ.get("SCIMFLOW_EVENT_LOOP", "uvloop"),
        "processes": ", ".join(f"{service} x{settings.replicas.get(service, 1)}" for service in SERVICES),
        "phase time limit": f"{settings.max_phase_seconds:g} s" if settings.max_phase_seconds else "none",
        "code": code_version(),
        "system settings": ", ".join(f"{name}={os.environ.get(name, value)}" for name, value in SYSTEM_ENV.items()),
        "broker": f"${BOOTSTRAP_ENV}" if os.environ.get(BOOTSTRAP_ENV) else (
            "local KRaft broker from jars, own" + (f", JVM options + {os.environ[JVM_OPTIONS_ENV]}"
                                                  if os.environ.get(JVM_OPTIONS_ENV, "").strip() else "")),
    }
    if settings.note:
        described["note"] = settings.note
    return described


def code_version() -> str:
    """HEAD, and whether the tree (bench/ aside) differs from it; read-only (no index lock taken)."""
    git = ["git", "--no-optional-locks", "-C", str(REPO_ROOT)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        status = subprocess.run([*git, "status", "--porcelain", "--", ".", ":!bench"], capture_output=True,
                                text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head.stdout.strip() + (" + uncommitted changes of others" if status.stdout.strip() else "")


def run_everything(settings: Settings, report: Report, workdir: Path) -> None:
    (workdir / "logs").mkdir()
    print_step(f"starting Kafka in {workdir / 'kafka'} …")
    with contextlib.ExitStack() as stack:
        try:
            servers = stack.enter_context(kafka_bootstrap(workdir / "kafka"))
        except RuntimeError as error:
            raise BenchError(f"Kafka did not start: {error}") from None
        broker = LocalKafka.from_pidfile(workdir / "kafka")
        if settings.database != "sqlite":
            print_step(f"starting {describe_database(settings.database)} …")
        try:
            database = stack.enter_context(open_database(settings.database, workdir / "logs"))
        except (RuntimeError, OSError) as error:  # DatabaseUnavailable too
            raise BenchError(f"the database did not start: {error}") from None
        report.settings["database"] = database.description
        system = System(servers, workdir / "data", http_port=free_port(), log_dir=workdir / "logs",
                        extra_env=system_env(settings.profile) | database.env)
        key = operator_key(os.environ.get("SCIMFLOW_OPERATOR_KEY"), system.data_dir)
        with baseline_server(workdir / "logs") as baseline_url:
            print_step(f"Kafka at {servers}; starting the services and the gateway …")
            try:
                system.start(timeout=120, replicas=settings.replicas)
            except (RuntimeError, TimeoutError) as error:
                system.stop()
                raise BenchError(f"the system did not start: {error}") from None
            try:
                pids = process_pids(system.processes)
                if broker is not None and broker.pid is not None:
                    pids["kafka"] = broker.pid
                trees = watch_database_server(database, pids, report)
                pids[CLIENT] = os.getpid()
                print_step(f"system up ({', '.join(f'{name}={pid}' for name, pid in pids.items())})")
                asyncio.run(Bench(settings, system.base_url, baseline_url, key, pids, report, trees).run())
            finally:
                print_step("stopping the system …")
                system.stop()


def watch_database_server(database: BenchDatabase, pids: dict[str, int], report: Report) -> frozenset[str]:
    """The bench's own PostgreSQL in ``pids``, as the labels to sample with their descendants (backends)."""
    if database.server_pid is None:
        return frozenset()
    pids[POSTGRES] = database.server_pid
    report.remarks.append(f"{POSTGRES}: the postmaster and all its backends, summed: CPU including exited "
                          "backends' (reaped by the postmaster); RSS columns are their summed PSS (shared buffers "
                          "counted once), sampled at the phase's end, not a peak")
    return frozenset({POSTGRES})


def process_pids(processes: Sequence[ServiceProcess]) -> dict[str, int]:
    """Each process by its service's name; by instance id where a service runs several."""
    several = {p.service for p in processes if sum(q.service == p.service for q in processes) > 1}
    return {(p.instance_id if p.service in several else p.service): p.popen.pid for p in processes}


def print_step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def system_env(profile: Path | None) -> dict[str, str]:
    """``SYSTEM_ENV``; with ``profile``, cProfile in every service through a sitecustomize on PYTHONPATH
    (bench/profiling), so no service changes."""
    env = {name: value for name, value in SYSTEM_ENV.items() if name not in os.environ}
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        path = os.pathsep.join(filter(None, [str(PROFILE_HOOK), os.environ.get("PYTHONPATH")]))
        env |= {"PYTHONPATH": path, "BENCH_PROFILE_DIR": str(profile)}
    return env


@contextlib.contextmanager
def baseline_server(log_dir: Path) -> Iterator[str]:
    port = free_port()
    with open(log_dir / "baseline.log", "ab") as output:
        process = subprocess.Popen([sys.executable, "-m", "bench.baseline_server", "--port", str(port)],
                                   cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"the baseline server did not start (see {log_dir / 'baseline.log'})")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Bench:
    """Runs the phases (and is the ``Runner`` phases use for set-up calls)."""

    settings: Settings
    base_url: str
    baseline_url: str
    operator_key: str
    pids: dict[str, int]
    report: Report
    #: Labels in ``pids`` sampled with their descendants (a server forking a process per connection).
    trees: frozenset[str] = frozenset()
    world: World = field(default_factory=lambda: World(uuid.uuid4().hex[:6]))
    peaks_per_phase: bool = True
    client: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        """The session ``run`` opened: every call goes through it."""
        if self.client is None:
            raise BenchError("the bench is not running")
        return self.client

    @property
    def users(self) -> int:
        return self.settings.users

    @property
    def concurrency(self) -> int:
        return self.settings.concurrency

    @property
    def group_rounds(self) -> int:
        return self.settings.group_rounds

    async def run(self) -> None:
        async with session(self.concurrency, dict(OKTA_HEADERS)) as self.client:
            token = await self.create_tenant()
            self.client.headers["Authorization"] = f"Bearer {token}"
            await self.warm_up()
            self.report.at_start = self.samples()
            if self.settings.idle_seconds > 0:
                await self.measure_idle(self.settings.idle_seconds)
            if "create" not in self.settings.phases and self.settings.phases:
                print_step(f"seeding {self.users} users (create is not a measured phase) …")
                await self.unmeasured(*create_users(self.world, self.users))
            for name in self.settings.phases:
                print_step(f"phase {name} …")
                result = await self.measure(name)
                print_step(f"  {result.timings.ops} ops, {result.timings.rate:.0f} ops/s, "
                           f"p99 {result.timings.ms(99):.1f} ms, {result.timings.error_count} errors")
                self.report.phases.append(result)
            for users in self.settings.checkpoints:
                await self.checkpoint(users)
        if not self.peaks_per_phase:
            self.report.settings["peak RSS"] = "VmHWM is the process's lifetime peak (clear_refs not writable)"

    async def create_tenant(self) -> str:
        async with self.http.post(f"{self.base_url}/admin/v1/tenants", json={"name": f"bench-{self.world.run_id}"},
                                  headers={"Authorization": f"Bearer {self.operator_key}"}) as response:
            body = await response.read()
            if response.status != 201:
                raise BenchError(f"creating the tenant answered {response.status}: {body[:300]!r}")
        tenant = orjson.loads(body)
        await self.sell_seats(tenant["tenant_id"])
        return tenant["token"]

    async def sell_seats(self, tenant_id: str) -> None:
        """The bench's users ask for Sales (Okta's bodies): seats for all of them, so creates measure the saga."""
        expires = (datetime.now(UTC) + timedelta(days=365)).isoformat()
        async with self.http.post(f"{self.base_url}/admin/v1/tenants/{tenant_id}/products",
                                  json={"product": "Sales", "seats": 10_000_000, "expires_at": expires},
                                  headers={"Authorization": f"Bearer {self.operator_key}"}) as response:
            if response.status != 201:
                raise BenchError(f"selling seats answered {response.status}: {(await response.read())[:300]!r}")

    async def warm_up(self) -> None:
        """Until the user store answers (its consumer group may still be joining), then a few rounds."""
        probe = [(Call("GET", f"{USERS}?startIndex=1&count=1"),)]
        deadline = time.monotonic() + WARM_UP_TIMEOUT
        while (await drive(self.http, self.base_url, probe, 1)).error_count:
            if time.monotonic() > deadline:
                raise BenchError(f"the user store did not answer within {WARM_UP_TIMEOUT:.0f}s")
            await asyncio.sleep(0.5)
        await drive(self.http, self.base_url, probe * (4 * self.concurrency), self.concurrency)

    async def unmeasured(self, tasks: Sequence[Task], on_body: OnBody | None = None) -> None:
        timings = await drive(self.http, self.base_url, tasks, self.concurrency, on_body=on_body)
        if timings.error_count:
            raise BenchError(f"set-up calls failed: {dict(timings.errors)} {timings.examples}")

    async def measure(self, name: str) -> PhaseResult:
        description, build = PHASES[name]
        plan = await build(self.world, self)
        for pid in self.pids.values():
            self.peaks_per_phase &= procstat.reset_peak(pid)
        before = self.samples()
        timings = await drive(self.http, self.base_url, plan.tasks, plan.concurrency, on_body=plan.on_body,
                              max_seconds=self.settings.max_phase_seconds)
        after = self.samples()
        usage = {label: Usage(end.cpu_seconds - start.cpu_seconds, end.peak_kb)
                 for label in self.pids if (start := before.get(label)) and (end := after.get(label))}
        replay = take_calls(plan.tasks, self.settings.baseline_calls)
        baseline = await drive(self.http, self.baseline_url, replay, plan.concurrency, any_success=True)
        notes = [plan.note(timings)] if plan.note else []
        if timings.ops < (planned := sum(map(len, plan.tasks))):
            notes.append(f"stopped after {self.settings.max_phase_seconds:g} s: {timings.ops} of {planned} requests")
        note = "; ".join(notes) or None
        return PhaseResult(name, description, plan.concurrency, timings, baseline, usage, note)

    async def measure_idle(self, seconds: float) -> None:
        """Every process's CPU while nobody asks anything: what polling and timers cost an idle system."""
        print_step(f"idle for {seconds:g} s …")
        before = self.samples()
        await asyncio.sleep(seconds)
        after = self.samples()
        self.report.idle_seconds = seconds
        self.report.idle_cpu = {label: end.cpu_seconds - start.cpu_seconds
                                for label in self.pids if (start := before.get(label)) and (end := after.get(label))}

    async def checkpoint(self, users: int) -> None:
        """Grow to ``users`` (creates that fail are counted, not fatal: memory is what is measured here)."""
        missing = users - len(self.world.user_names)
        if missing > 0:
            print_step(f"creating {missing} more users for the {users}-user RSS checkpoint …")
            tasks, record_id = create_users(self.world, missing)
            timings = await drive(self.http, self.base_url, tasks, self.concurrency, on_body=record_id)
            if timings.error_count:
                self.report.remarks.append(f"growing to {users} users: {timings.error_count} creates failed "
                                           f"{dict(timings.errors)}")
        self.report.checkpoints.append((len(self.world.user_ids), self.samples()))

    def samples(self) -> dict[str, procstat.ProcSample | None]:
        return procstat.sample_all(self.pids, self.trees)

