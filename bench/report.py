"""The plain-text tables printed at the end of a run and appended to bench/RESULTS.md."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.procstat import ProcSample
from bench.stats import Timings

#: The issue's targets, at N=5000 and C=32: (minimum ops/s, maximum p99 ms). import: 5000 users
#: within 1.5 s is 50 pages of 100 in 1.5 s, i.e. 33.3 pages/s.
TARGETS: dict[str, tuple[float | None, float | None]] = {
    "create": (1500, 60), "lookup": (2000, 60), "get": (2500, 60), "patch": (1500, 60),
    "import": (50 / 1.5, None), "group_patch": (None, 30),
}
CLIENT = "bench client"


@dataclass
class Usage:
    cpu_seconds: float
    peak_kb: int | None


@dataclass
class PhaseResult:
    name: str
    description: str
    concurrency: int
    timings: Timings
    baseline: Timings | None = None
    usage: dict[str, Usage] = field(default_factory=dict)  # process label -> what it used in the phase
    note: str | None = None

    def system_cpu_ms_per_op(self) -> float:
        used = sum(u.cpu_seconds for label, u in self.usage.items() if label != CLIENT)
        return used / self.timings.ops * 1000 if self.timings.ops else math.nan

    def ratio(self) -> float:
        return self.timings.rate / self.baseline.rate if self.baseline and self.baseline.rate else math.nan


@dataclass
class Report:
    command: str
    settings: dict[str, str]
    machine: dict[str, str]
    phases: list[PhaseResult] = field(default_factory=list)
    at_start: dict[str, ProcSample | None] = field(default_factory=dict)
    checkpoints: list[tuple[int, dict[str, ProcSample | None]]] = field(default_factory=list)
    idle_seconds: float = 0.0
    idle_cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process over idle_seconds
    load_after: str = "?"
    remarks: list[str] = field(default_factory=list)  # anything else the reader must know
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


def number(value: float | None, digits: int = 1) -> str:
    """Compact: thousands separated past 100, ``digits`` decimals below; "-" for unknown."""
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def megabytes(kb: int | None) -> str:
    return "-" if kb is None else f"{kb / 1024:.0f}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell: the first left-aligned, the others right-aligned."""
    cells = [list(header), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        padded = [row[0].ljust(widths[0]), *rest]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def target_cells(phase: PhaseResult) -> tuple[str, str]:
    """("≥1500/s p99≤60", "yes"/"NO") for phases with a target, else ("", "")."""
    if phase.name not in TARGETS:
        return "", ""
    rate, p99 = TARGETS[phase.name]
    text, met = [], phase.timings.error_count == 0
    if rate is not None:
        text.append(f">={rate:.0f}/s")
        met &= phase.timings.rate >= rate
    if p99 is not None:
        text.append(f"p99<={p99:.0f}")
        met &= phase.timings.ms(99) <= p99
    return " ".join(text), "yes" if met else "NO"


def phase_table(phases: Sequence[PhaseResult]) -> str:
    header = ["phase", "C", "ops", "ops/s", "p50 ms", "p99 ms", "max ms", "errors", "cpu ms/op",
              "base ops/s", "ratio", "target", "met"]
    rows = []
    for phase in phases:
        t = phase.timings
        rows.append([
            phase.name, str(phase.concurrency), str(t.ops), number(t.rate), number(t.ms(50)), number(t.ms(99)),
            number(t.ms(100)), str(t.error_count), number(phase.system_cpu_ms_per_op(), 2),
            number(phase.baseline.rate if phase.baseline else None), number(phase.ratio(), 3),
            *target_cells(phase),
        ])
    return format_table(header, rows)


def usage_tables(report: Report) -> str:
    labels = list(report.at_start)
    names = [phase.name for phase in report.phases]
    cpu_rows, rss_rows = [], []
    for label in labels:
        used = [phase.usage.get(label) for phase in report.phases]
        total = sum(u.cpu_seconds for u in used if u)
        cpu_rows.append([label, *(number(u.cpu_seconds, 2) if u else "-" for u in used), number(total, 2)])
        start = report.at_start.get(label)
        rss_rows.append([label, megabytes(start.rss_kb if start else None),
                         *(megabytes(u.peak_kb if u else None) for u in used)])
    return (
        "CPU seconds (user+system) per phase:\n" + format_table(["process", *names, "total"], cpu_rows)
        + "\n\nPeak RSS MB (VmHWM) per phase; 'start' is the RSS once the system was up:\n"
        + format_table(["process", "start", *names], rss_rows)
    )


def idle_table(report: Report) -> str:
    """Each process's CPU with no requests, in % of one core; the bench client (asleep) left out."""
    system = {label: cpu for label, cpu in report.idle_cpu.items() if label != CLIENT}
    rows = [[label, number(100 * cpu / report.idle_seconds)] for label, cpu in [*system.items(),
                                                                              ("all", sum(system.values()))]]
    return (f"Idle CPU (% of one core) over {report.idle_seconds:g} s with no requests, before the phases:\n"
            + format_table(["process", "% of a core"], rows))


def checkpoint_table(report: Report) -> str:
    labels = list(report.at_start)
    header = ["process", *(f"{users} users" for users, _ in report.checkpoints)]
    rows = [[label, *(megabytes(s.rss_kb) if (s := samples.get(label)) else "-" for _, samples in report.checkpoints)]
            for label in labels]
    return "RSS MB (VmRSS) as the user count grows:\n" + format_table(header, rows)


def notes(phases: Sequence[PhaseResult]) -> list[str]:
    lines = []
    for phase in phases:
        if phase.note:
            lines.append(f"{phase.name}: {phase.note}")
        for kind, count in phase.timings.errors.most_common():
            example = phase.timings.examples.get(kind, "")
            lines.append(f"{phase.name}: {count} x {kind} {example}".rstrip())
    return lines


def render(report: Report) -> str:
    parts = [
        ("Phases (latency per request; ops/s = requests per second of wall time; cpu ms/op = CPU of the "
         "gateway, services and broker per request; ratio = our ops/s / the do-nothing aiohttp server's "
         "ops/s on the same requests at the same concurrency; targets are the issue's, set at N=5000 C=32):"),
        phase_table(report.phases),
        "", usage_tables(report),
    ]
    if report.idle_cpu:
        parts += ["", idle_table(report)]
    if report.checkpoints:
        parts += ["", checkpoint_table(report)]
    if extra := [*notes(report.phases), *report.remarks]:
        parts += ["", "Notes:", *(f"- {line}" for line in extra)]
    return "\n".join(parts)


def markdown_section(report: Report, text: str, remarks: Sequence[str] = ()) -> str:
    facts = [f"- command: `{report.command}`",
             *(f"- {name}: {value}" for name, value in report.settings.items()),
             *(f"- {name}: {value}" for name, value in report.machine.items()),
             f"- load average after: {report.load_after}",
             *(f"- {remark}" for remark in remarks)]
    title = report.started.strftime("%Y-%m-%d %H:%M UTC")
    return f"\n## {title}: {report.settings.get('mode', '')}\n\n" + "\n".join(facts) + f"\n\n```\n{text}\n```\n"


def append_results(path: Path, section: str) -> None:
    if not path.exists():
        path.write_text("# Benchmark results\n\nAppended by `make bench` / `python -m bench` (newest last).\n")
    with path.open("a") as file:
        file.write(section)
