"""The browser tests' Chromium: used where it is, installed with apt-get where it is not, and a clear
failure (never a skip, never a browser download) when apt-get cannot install it. apt-get is faked:
these tests install nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from shared.devtools.apt import UPDATE
from shared.devtools.chromium import INSTALL, ChromiumMissing, ensure_chromium


class FakeAptGet:
    """Answers each command with the next exit code; a successful install puts the browser in place."""

    def __init__(self, browser: Path, exit_codes: list[int]) -> None:
        self.browser, self.exit_codes, self.ran = browser, exit_codes, []

    def __call__(self, command: Sequence[str]) -> subprocess.CompletedProcess:
        self.ran.append(tuple(command))
        code = self.exit_codes.pop(0)
        if tuple(command) == INSTALL and code == 0:
            self.browser.write_text("#!/bin/sh\n")
            self.browser.chmod(0o755)
        return subprocess.CompletedProcess(list(command), code, "", f"E: exit {code}")


def test_an_installed_chromium_is_used_as_it_is(tmp_path: Path):
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    apt_get = FakeAptGet(browser, [])
    assert ensure_chromium(browser, apt_get) == browser and apt_get.ran == []


def test_a_missing_chromium_is_installed_with_apt_get(tmp_path: Path):
    apt_get = FakeAptGet(tmp_path / "chromium", [0])
    assert ensure_chromium(tmp_path / "chromium", apt_get) == tmp_path / "chromium"
    assert apt_get.ran == [INSTALL]


def test_a_failed_install_reads_the_package_lists_and_tries_again(tmp_path: Path):
    apt_get = FakeAptGet(tmp_path / "chromium", [100, 0, 0])
    assert ensure_chromium(tmp_path / "chromium", apt_get) == tmp_path / "chromium"
    assert apt_get.ran == [INSTALL, UPDATE, INSTALL]


def test_no_chromium_after_all_fails_with_what_apt_get_said(tmp_path: Path):
    apt_get = FakeAptGet(tmp_path / "chromium", [100, 100, 100])
    with pytest.raises(ChromiumMissing) as missing:
        ensure_chromium(tmp_path / "chromium", apt_get)
    assert "apt-get install -y chromium" in str(missing.value) and "E: exit 100" in str(missing.value)
    assert "never `playwright install`" in str(missing.value)
