"""CPU seconds and resident memory of processes, read from /proc (no psutil), and the machine.

``cpu_seconds`` is user + system time of every thread of the process (fields 14 and 15 of
/proc/<pid>/stat). ``peak_kb`` is VmHWM, the high-water mark of resident memory; ``reset_peak``
sets it back to the current RSS (``echo 5 > /proc/<pid>/clear_refs``, Linux 4.0+), so the mark read
after a phase is that phase's own peak.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcSample:
    cpu_seconds: float
    rss_kb: int
    peak_kb: int


def parse_cpu_seconds(stat_text: str, ticks_per_second: int = CLOCK_TICKS) -> float:
    """utime + stime of a /proc/<pid>/stat line. The command name (field 2) may hold spaces and
    parentheses, so fields are counted after its last ')': there field 3 (state) is index 0."""
    fields = stat_text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks_per_second


def parse_status_kb(status_text: str) -> dict[str, int]:
    """The ``kB`` values of /proc/<pid>/status (VmRSS, VmHWM, ...) by name."""
    values = {}
    for line in status_text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            values[name] = int(parts[0])
    return values


def sample(pid: int) -> ProcSample | None:
    """None once the process is gone (or was never readable)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        status = parse_status_kb((PROC / str(pid) / "status").read_text())
    except OSError:
        return None
    return ProcSample(parse_cpu_seconds(stat), status.get("VmRSS", 0), status.get("VmHWM", 0))


def reset_peak(pid: int) -> bool:
    """Start a new VmHWM window; False where the kernel or permissions do not allow it."""
    try:
        (PROC / str(pid) / "clear_refs").write_text("5")
    except OSError:
        return False
    return True


def machine() -> dict[str, str]:
    """What RESULTS.md records about where it ran."""
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu model": _cpu_model(),
        "memory": _memory(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "load average at start": load_average(),
    }


def load_average() -> str:
    try:
        return " ".join((PROC / "loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _cpu_model() -> str:
    try:
        for line in (PROC / "cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _memory() -> str:
    try:
        total = parse_status_kb((PROC / "meminfo").read_text()).get("MemTotal", 0)
    except OSError:
        return "?"
    return f"{total / 1024 / 1024:.1f} GiB"
