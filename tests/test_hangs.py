"""A hung test fails by name, with the awaits it was stuck in, and the run goes on (pytest-timeout and
tests/support/hang_report.py), instead of holding CI until its 90-minute limit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shared.devtools import REPO_ROOT
from tests.support import hang_report

HANGING_TESTS = '''
import asyncio

import pytest


async def waits_for_ever():
    await asyncio.Event().wait()


@pytest.fixture
async def stuck_on_the_way_down():
    yield
    await waits_for_ever()


async def test_body_hangs():
    await waits_for_ever()


async def test_teardown_hangs(stuck_on_the_way_down):
    pass


async def test_after_them():
    await asyncio.sleep(0)
'''


def test_the_suite_arms_a_timeout_and_the_report(request):
    assert 0 < float(request.config.getini("timeout")) <= 600
    assert request.config.pluginmanager.is_registered(hang_report)


@pytest.fixture(scope="module")
def hung_run(tmp_path_factory) -> str:
    """The project's pytest configuration, with a 2 s timeout, on tests that hang in body and teardown."""
    folder = tmp_path_factory.mktemp("hangs")
    (folder / "test_hanging.py").write_text(HANGING_TESTS)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(REPO_ROOT / "pyproject.toml"), "--rootdir", str(folder),
         "-p", "no:cacheprovider", "-p", "tests.support.hang_report", "-o", "timeout=2", "-q",
         "test_hanging.py"],
        cwd=folder, env={"PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    return run.stdout


def test_a_hang_fails_its_test_by_name_and_the_next_test_runs(hung_run):
    assert "FAILED test_hanging.py::test_body_hangs - Failed: Timeout (>2.0s)" in hung_run
    assert "ERROR test_hanging.py::test_teardown_hangs - Failed: Timeout (>2.0s)" in hung_run
    assert "1 failed, 2 passed, 1 error" in hung_run  # test_after_them ran (and test_teardown_hangs' call passed)


@pytest.mark.parametrize("hung_in", ["test_body_hangs", "stuck_on_the_way_down"])
def test_the_report_shows_the_awaits_it_was_stuck_in(hung_run, hung_in):
    sections = hung_run.split(hang_report.SECTION)[1:]
    [stuck] = [section for section in sections if f"in {hung_in}\n" in section]
    assert "await waits_for_ever()" in stuck
    assert "in waits_for_ever\n    await asyncio.Event().wait()" in stuck
