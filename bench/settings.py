"""What ``python -m bench`` is asked to do: its command line, parsed into Settings (bench/run.py runs them)."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.database import DATABASES
from bench.phases import PHASES
from shared.devtools import REPO_ROOT
from shared.devtools.launcher import SERVICES

RESULTS = Path(__file__).with_name("RESULTS.md")


@dataclass
class Sizes:
    """How big a run is: the defaults of a full and of a quick run, each overridable by a flag."""

    users: int
    concurrency: int
    group_rounds: int
    baseline_calls: int
    max_phase_seconds: float
    idle_seconds: float


FULL = Sizes(users=5000, concurrency=32, group_rounds=4, baseline_calls=2000, max_phase_seconds=0.0, idle_seconds=10.0)
QUICK = Sizes(users=500, concurrency=16, group_rounds=2, baseline_calls=500, max_phase_seconds=4.0, idle_seconds=2.0)


@dataclass
class Settings(Sizes):
    phases: list[str]
    checkpoints: list[int]
    quick: bool
    results: Path | None
    keep: bool
    profile: Path | None
    note: str
    replicas: dict[str, int]
    database: str = "sqlite"


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(
        "Start the whole system on a real broker, load it phase by phase like an IdP, print ops/s, latency, "
        "errors, CPU and RSS per process, and append them to bench/RESULTS.md."))
    parser.add_argument("--quick", action="store_true", help=(
        f"small run, under a minute with start-up: {QUICK.users} users, C={QUICK.concurrency}"))
    parser.add_argument("--users", "-n", type=int, help=f"users to create (default {FULL.users})")
    parser.add_argument("--concurrency", "-c", type=int, help=f"requests in flight (default {FULL.concurrency})")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"comma-separated, run in this order whatever the order given: {','.join(PHASES)}")
    parser.add_argument("--group-rounds", type=int, help="add+remove PATCH pairs per group (default 4, quick 2)")
    parser.add_argument("--baseline-calls", type=int,
                        help="requests per phase replayed against the do-nothing server (default 2000, quick 500)")
    parser.add_argument("--max-phase-seconds", type=float,
                        help="start no new request in a phase after this long (default: none; quick: 4)")
    parser.add_argument("--idle-seconds", type=float,
                        help="before the phases, measure every process's CPU this long with no requests "
                             "(default 10, quick 2; 0: skip)")
    parser.add_argument("--rss-checkpoints", default="",
                        help="after the phases, create users up to each of these counts (e.g. 5000,20000,50000) "
                             "and report every process's RSS at each")
    parser.add_argument("--results", default=str(RESULTS.relative_to(REPO_ROOT)),
                        help="markdown file the dated results are appended to (default %(default)s)")
    parser.add_argument("--no-results", action="store_true", help="print only; append nothing")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data, logs and broker directory")
    parser.add_argument("--note", default="", help="a remark recorded with the results (e.g. what else ran)")
    parser.add_argument("--replicas", default="", metavar="SERVICE=N,...",
                        help="run N processes of a service (scale-out), e.g. gateway=2,user_store=2; "
                             f"services: {', '.join(SERVICES)}")
    parser.add_argument("--db", choices=DATABASES, default="sqlite", help=(
        "the services' database: SQLite files (default), or PostgreSQL: $SCIMFLOW_TEST_DATABASE_URL's server "
        "if set, else a local cluster of the bench's own"))
    parser.add_argument("--profile", metavar="DIR",
                        help="run every service under cProfile (slower!) and write DIR/<instance>.prof")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    unknown = [name for name in args.phases.split(",") if name and name not in PHASES]
    if unknown:
        parser.error(f"unknown phase(s) {', '.join(unknown)}; known: {', '.join(PHASES)}")
    wanted = set(args.phases.split(","))
    try:
        replicas = parse_replicas(args.replicas)
    except ValueError as error:
        parser.error(str(error))
    settings = Settings(
        users=args.users or defaults.users, concurrency=args.concurrency or defaults.concurrency,
        group_rounds=args.group_rounds or defaults.group_rounds,
        baseline_calls=args.baseline_calls or defaults.baseline_calls,
        max_phase_seconds=defaults.max_phase_seconds if args.max_phase_seconds is None else args.max_phase_seconds,
        idle_seconds=defaults.idle_seconds if args.idle_seconds is None else args.idle_seconds,
        phases=[name for name in PHASES if name in wanted],
        checkpoints=sorted(int(n) for n in args.rss_checkpoints.split(",") if n.strip()),
        quick=args.quick, results=None if args.no_results else Path(args.results), keep=args.keep,
        profile=Path(args.profile).resolve() if args.profile else None, note=args.note,
        replicas=replicas, database=args.db,
    )
    if settings.users < 1 or settings.concurrency < 1:
        parser.error("--users and --concurrency must be at least 1")
    return settings


def parse_replicas(text: str) -> dict[str, int]:
    """``gateway=2,user_store=2`` -> {"gateway": 2, "user_store": 2}."""
    replicas: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        service, _, count = item.partition("=")
        if service not in SERVICES or not count.isdigit() or int(count) < 1:
            raise ValueError(f"--replicas: {item!r} is not SERVICE=N with N >= 1 and SERVICE one of "
                             f"{', '.join(SERVICES)}")
        replicas[service] = int(count)
    return replicas


def command_line(argv: Sequence[str]) -> str:
    python = Path(sys.executable)
    with contextlib.suppress(ValueError):
        python = python.relative_to(Path.cwd())
    return shlex.join([str(python), "-m", "bench", *argv])
