"""Every process (the gateway and each service, as `python -m` starts them) collects young garbage less
often than CPython's default (shared/service.py: YOUNG_COLLECTION_THRESHOLD)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from shared.devtools import REPO_ROOT
from shared.service import YOUNG_COLLECTION_THRESHOLD

#: Runs a process's `python -m` entry point up to the moment it would start serving, then prints the
#: garbage collector's thresholds instead.
ENTRY_POINT_UNTIL_SERVING = """
import gc, runpy, sys
import aiohttp.web
import shared.service

def report(*args, **kwargs):
    print(gc.get_threshold())

async def report_async(*args, **kwargs):
    report()

aiohttp.web.run_app = report
shared.service.serve = report_async
print(gc.get_threshold())
runpy.run_module(sys.argv[1], run_name="__main__")
"""


@pytest.mark.parametrize("module", ["services.gateway", "services.user_store", "services.seat_allocator",
                                    "services.notifier", "services.sync_status"])
def test_each_process_raises_the_young_generation_threshold_before_serving(module, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "SCIMFLOW_DATA_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", ENTRY_POINT_UNTIL_SERVING, module], cwd=tmp_path, env=env, check=False,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    at_start, serving = (ast.literal_eval(line) for line in run.stdout.splitlines() if line.startswith("("))
    assert at_start[0] < YOUNG_COLLECTION_THRESHOLD
    assert serving == (YOUNG_COLLECTION_THRESHOLD, *at_start[1:])
