"""Debian's Chromium for the browser tests: used where it is, installed with apt-get where it is not.

Never a browser build of Playwright's own (``playwright install``): the machines this project runs
on reach Debian's packages but no browser download site, so the one browser is the distribution's.
CI runs as root on a fresh machine with no standard input, hence the non-interactive apt-get.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
#: No sandbox: the tests run as root, which Chromium's sandbox refuses. No background networking:
#: the machines reach no update or safe-browsing service, and the tests want no such traffic.
LAUNCH_ARGS = ("--no-sandbox", "--disable-background-networking")
INSTALL = ("apt-get", "install", "-y", "chromium")
UPDATE = ("apt-get", "update")
APT_TIMEOUT = 900.0

Run = Callable[[Sequence[str]], subprocess.CompletedProcess]


class ChromiumMissing(RuntimeError):
    """Chromium is not installed and apt-get could not install it: the message says what apt-get said."""


def ensure_chromium(path: Path = CHROMIUM, run: Run | None = None) -> Path:
    """``path`` once Chromium is there: as found, after ``apt-get install``, or after an update and a retry."""
    if _usable(path):
        return path
    run = run or apt_get
    said: list[str] = []
    for step in (INSTALL, UPDATE, INSTALL):  # an install on a fresh machine fails until the lists are read
        done = run(step)
        said.append(f"$ {' '.join(step)} -> exit {done.returncode}\n{_tail(done)}")
        if step == INSTALL and done.returncode == 0 and _usable(path):
            return path
    raise ChromiumMissing(
        f"The browser tests need Chromium at {path}, and `apt-get install -y chromium` could not install it "
        "(run it as root on a Debian machine that reaches Debian's package mirrors; never `playwright "
        "install`).\n" + "\n".join(said))


def _usable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


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
