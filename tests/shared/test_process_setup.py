"""Every process (the gateway and each service, as `python -m` starts them) collects young garbage less
often than CPython's default (shared/service.py: YOUNG_COLLECTION_THRESHOLD)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

from shared.devtools import REPO_ROOT
from shared.service import YOUNG_COLLECTION_THRESHOLD

#: Runs each process's `python -m` entry point (sys.argv[1:]) up to the moment it would start serving, and
#: prints the garbage collector's thresholds before it and as it would serve. One interpreter for them all
#: (a new one per process cost ~1.5 s of CPU importing the same libraries); CPython's defaults put back
#: before each, so each entry point shows that it raises them itself.
ENTRY_POINTS_UNTIL_SERVING = """
import gc, runpy, sys
import aiohttp.web
import shared.service

def report(*args, **kwargs):
    print(gc.get_threshold())

async def report_async(*args, **kwargs):
    report()

aiohttp.web.run_app = report
shared.service.serve = report_async
defaults = gc.get_threshold()
for module in sys.argv[1:]:
    gc.set_threshold(*defaults)
    print(module, gc.get_threshold())
    runpy.run_module(module, run_name="__main__")
"""
MODULES = ["services.gateway", "services.user_store", "services.seat_allocator", "services.notifier",
           "services.sync_status", "services.webhooks"]


def test_each_process_raises_the_young_generation_threshold_before_serving(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "SCIMFLOW_DATA_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", ENTRY_POINTS_UNTIL_SERVING, *MODULES], cwd=tmp_path, env=env,
                         check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    starts = [index for index, line in enumerate(lines) if line.startswith("services.")]
    assert [lines[index].split()[0] for index in starts] == MODULES
    for index in starts:
        at_start, serving = ast.literal_eval(lines[index].split(" ", 1)[1]), ast.literal_eval(lines[index + 1])
        assert at_start[0] < YOUNG_COLLECTION_THRESHOLD, lines[index]
        assert serving == (YOUNG_COLLECTION_THRESHOLD, *at_start[1:]), lines[index]
