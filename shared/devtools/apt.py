"""Debian packages the tests need (Chromium, PostgreSQL): installed with apt-get where missing.

CI runs as root on a fresh machine with no standard input, hence the non-interactive apt-get; an install
there fails until the package lists are read, hence install, update, install.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from typing import TypeVar

UPDATE = ("apt-get", "update")
APT_TIMEOUT = 900.0

Run = Callable[[Sequence[str]], subprocess.CompletedProcess]
T = TypeVar("T")


def install_step(package: str) -> tuple[str, ...]:
    return ("apt-get", "install", "-y", package)


def apt_install(package: str, present: Callable[[], T | None], run: Run | None = None) -> tuple[T | None, str]:
    """``present()`` once ``apt-get install -y <package>`` made it so (or after an update and a retry); else
    None and what apt-get said at each step."""
    run = run or apt_get
    install, said = install_step(package), []
    for step in (install, UPDATE, install):
        done = run(step)
        said.append(f"$ {' '.join(step)} -> exit {done.returncode}\n{_tail(done)}")
        if step == install and done.returncode == 0 and (found := present()) is not None:
            return found, ""
    return None, "\n".join(said)


def apt_get(command: Sequence[str]) -> subprocess.CompletedProcess:
    """Run one apt-get step non-interactively; a missing apt-get or a hung mirror is a failed step, not a crash."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        return subprocess.run(list(command), env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=APT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:  # no apt-get at all, or a mirror that hangs
        return subprocess.CompletedProcess(list(command), 127, "", str(error))


def _tail(done: subprocess.CompletedProcess, lines: int = 15) -> str:
    return "\n".join(f"{done.stdout or ''}\n{done.stderr or ''}".strip().splitlines()[-lines:])
