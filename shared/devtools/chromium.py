"""Debian's Chromium for the browser tests: used where it is, installed with apt-get where it is not.

Never a browser build of Playwright's own (``playwright install``): the machines this project runs
on reach Debian's packages but no browser download site, so the one browser is the distribution's.
CI runs as root on a fresh machine with no standard input, hence the non-interactive apt-get.
"""

from __future__ import annotations

import os
from pathlib import Path

from shared.devtools.apt import Run, apt_install, install_step

CHROMIUM = Path("/usr/bin/chromium")
#: No sandbox: the tests run as root, which Chromium's sandbox refuses. No background networking:
#: the machines reach no update or safe-browsing service, and the tests want no such traffic.
LAUNCH_ARGS = ("--no-sandbox", "--disable-background-networking")
INSTALL = install_step("chromium")


class ChromiumMissing(RuntimeError):
    """Chromium is not installed and apt-get could not install it: the message says what apt-get said."""


def ensure_chromium(path: Path = CHROMIUM, run: Run | None = None) -> Path:
    """``path`` once Chromium is there: as found, after ``apt-get install``, or after an update and a retry."""
    if _usable(path):
        return path
    found, said = apt_install("chromium", lambda: path if _usable(path) else None, run)
    if found is not None:
        return found
    raise ChromiumMissing(
        f"The browser tests need Chromium at {path}, and `apt-get install -y chromium` could not install it "
        "(run it as root on a Debian machine that reaches Debian's package mirrors; never `playwright "
        "install`).\n" + said)


def _usable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
