"""The operating system's side of a local broker: free ports, live pids, the Java binary, log tails."""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import random
import shutil
import socket
from collections.abc import Container, Iterator
from pathlib import Path

HOST = "127.0.0.1"
#: ``i/n``: this process takes its ports from the i-th of n slices of ``SLICED_PORTS`` (the suite's parallel
#: workers, each with its own broker and systems: two of them never pick the same port). Unset: the OS picks.
PORT_SLICE_ENV = "SCIMFLOW_PORT_SLICE"
#: Below Linux's ephemeral range (32768-60999), so no outgoing connection takes a port between pick and bind.
SLICED_PORTS = range(20000, 32768)


def free_port(*, other_than: Container[int] = ()) -> int:
    """A TCP port on 127.0.0.1 that is free right now, none of ``other_than``: once closed, a port the OS
    just handed out may be handed out again at once."""
    turns = slice_in_turn()
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((HOST, next(turns) if turns else 0))
            except OSError:  # that one of our slice is taken: the next
                continue
            if (port := sock.getsockname()[1]) not in other_than:
                return port


@functools.cache
def slice_in_turn() -> Iterator[int] | None:
    """This process's slice of ``SLICED_PORTS`` ($SCIMFLOW_PORT_SLICE), one port after another from a random
    start: a port handed out (its taker may not have bound it yet) comes again only after all the others.
    None: no slice, the OS picks."""
    if not (setting := os.environ.get(PORT_SLICE_ENV)):
        return None
    index, count = (int(part) for part in setting.split("/"))
    size = len(SLICED_PORTS) // count
    ports = SLICED_PORTS[index * size:(index + 1) * size]
    start = random.SystemRandom().randrange(size)  # not the suite's random: a test may have seeded it
    return itertools.cycle([*ports[start:], *ports[:start]])


def port_accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
        return True
    return False


def pid_alive(pid: int) -> bool:
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


def cmdline_mentions(pid: int, needle: str) -> bool:
    """Guard against a recycled pid: the broker's command line names its own properties file."""
    try:
        return needle in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return pid_alive(pid)



def java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home, "bin", "java") if java_home else None
    if candidate is not None and candidate.is_file():
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise RuntimeError("Java is not installed (no JAVA_HOME and no 'java' on PATH).")
    return found


def tail_text(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


def tail_file(path: Path, lines: int) -> str:
    try:
        return tail_text(path.read_text(errors="replace"), lines)
    except FileNotFoundError:
        return "(no file)"


def error_lines(path: Path, limit: int) -> str:
    """ERROR/FATAL lines and their exception causes, without stack frames or repeats."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no file)"
    wanted = (" ERROR ", " FATAL ", "Caused by: ")
    errors = dict.fromkeys(line for line in lines if any(marker in line for marker in wanted))
    return "\n".join(list(errors)[-limit:]) or "(none)"

