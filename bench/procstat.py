"""CPU seconds and resident memory of processes, read from /proc (no psutil), and the machine.

``cpu_seconds`` is user + system time of every thread of the process (fields 14 and 15 of
/proc/<pid>/stat). ``peak_kb`` is VmHWM, the high-water mark of resident memory; ``reset_peak``
sets it back to the current RSS (``echo 5 > /proc/<pid>/clear_refs``, Linux 4.0+), so the mark read
after a phase is that phase's own peak.

A server that forks a process per connection (PostgreSQL) is sampled as a tree (``sample_tree``): its
CPU is every live member's own plus what they reaped of exited children (a backend that closed its
connection mid-phase still counts), and its memory is the members' summed PSS, which counts the
shared buffers they all map once where summed RSS would count them once per backend.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Collection, Iterable, Mapping
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


def parse_reaped_cpu_seconds(stat_text: str, ticks_per_second: int = CLOCK_TICKS) -> float:
    """cutime + cstime (fields 16 and 17): the CPU of the process's children that exited and were waited
    for, theirs included, so a tree's CPU stays whole as its members come and go."""
    fields = stat_text.rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / ticks_per_second


def parse_parent_pid(stat_text: str) -> int:
    """Field 4 of a /proc/<pid>/stat line."""
    return int(stat_text.rsplit(")", 1)[1].split()[1])


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


def sample_tree(root: int) -> ProcSample | None:
    """``root`` and its descendants as one: CPU including reaped children's, memory the summed PSS (for
    ``rss_kb`` and ``peak_kb`` alike: a tree has no high-water mark, so 'peak' is the value when sampled).
    None once ``root`` is gone."""
    stats = _stat_texts(descendants(root) | {root})
    if root not in stats:
        return None
    cpu = sum(parse_cpu_seconds(text) + parse_reaped_cpu_seconds(text) for text in stats.values())
    pss = sum(_pss_kb(pid) for pid in stats)
    return ProcSample(cpu, pss, pss)


def sample_all(pids: Mapping[str, int], trees: Collection[str] = ()) -> dict[str, ProcSample | None]:
    """Each labelled process; those labelled in ``trees`` with their descendants (``sample_tree``)."""
    return {label: sample_tree(pid) if label in trees else sample(pid) for label, pid in pids.items()}


def descendants(root: int) -> set[int]:
    """Every live process below ``root`` (children, their children, ...), from one pass over /proc."""
    children: dict[int, list[int]] = {}
    for pid, text in _stat_texts(int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()).items():
        children.setdefault(parse_parent_pid(text), []).append(pid)
    found, frontier = set(), [root]
    while frontier:
        below = children.get(frontier.pop(), [])
        found.update(below)
        frontier.extend(below)
    return found


def _stat_texts(pids: Iterable[int]) -> dict[int, str]:
    """/proc/<pid>/stat of each pid still there (processes end while /proc is read)."""
    texts = {}
    for pid in pids:
        try:
            texts[pid] = (PROC / str(pid) / "stat").read_text()
        except OSError:
            continue
    return texts


def _pss_kb(pid: int) -> int:
    try:
        return parse_status_kb((PROC / str(pid) / "smaps_rollup").read_text()).get("Pss", 0)
    except OSError:
        return 0


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
