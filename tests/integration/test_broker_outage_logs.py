"""Issue 28: while the broker is away, a service's log says so in a few lines, not ~85 a second, and says
when it answers again (shared/log_limits.py). A broker of the test's own: the suite's is shared."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from shared.devtools.launcher import System
from shared.devtools.local_kafka import LocalKafka, free_port
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 6


def entries(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def test_a_broker_outage_is_a_few_lines_and_one_when_it_answers_again(tmp_path):
    broker = LocalKafka(tmp_path / "kafka", free_port()).start()
    (tmp_path / "logs").mkdir()
    system = System(broker.bootstrap_servers, tmp_path / "data", http_port=free_port(), log_dir=tmp_path / "logs")
    log = tmp_path / "logs" / "seat_allocator-1.log"
    try:
        system.start_service("seat_allocator", "seat_allocator-1")
        wait_until(lambda: any(e["msg"] == "serving" for e in entries(log)), timeout=60)
        broker.stop()
        wait_until(lambda: any(e["logger"].startswith("aiokafka") for e in entries(log)), timeout=30)
        down_at = len(entries(log))
        time.sleep(OUTAGE_SECONDS)  # not a wait for a condition: the outage itself is what is measured
        during = entries(log)[down_at:]
        broker.start()
        wait_until(lambda: any("answers again" in e["msg"] for e in entries(log)), timeout=60)
    finally:
        system.stop()
        broker.stop()
    assert len(during) < 20, during  # ~85 a second before: one per kind of line, then a reminder every 30 s
    assert all(e["logger"].startswith("aiokafka") for e in during)
