"""Issue 25, first slice, on the real system: the sync-status reporter's own process, started as an operator
starts it with SCIMFLOW_DATABASE_URL, keeps its state in PostgreSQL (its schema there, no SQLite file) and
serves commands from the real broker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.sync_status.v1 import (
    ListUserStatuses,
    OutcomesRecorded,
    ProvisioningOutcome,
    ProvisioningOutcomes,
    ReportedOutcome,
    UserStatusPage,
)
from contracts.topics import SYNC_STATUS_COMMANDS
from shared.devtools.local_postgres import connect
from shared.messaging.requester import unwrap
from tests.integration.kafka_ask import ask_many

pytestmark = pytest.mark.integration

ANN = ProvisioningOutcome(at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC), action="create", status="synced",
                          user_name="ann@acme.example", user_id="u1", products=["Sales"])


async def stored_user_names(database_url: str) -> list[str]:
    connection = await connect(database_url)
    try:
        return [row[0] for row in await connection.fetch("SELECT user_name FROM sync_status.user_statuses")]
    finally:
        await connection.close()


async def test_the_reporter_on_postgres_records_and_answers_over_the_real_broker(make_system, postgres_url):
    system = make_system(SCIMFLOW_DATABASE_URL=postgres_url)
    system.start_service("sync_status", "sync-status-1")
    system.wait_healthy(timeout=120)  # joined its group: a command sent sooner could outlive its deadline
    report = ProvisioningOutcomes(reports=[ReportedOutcome(report_id="r1", tenant_id="t1", outcome=ANN)])
    topic = SYNC_STATUS_COMMANDS.name
    replies, _ = await ask_many(system.bootstrap_servers, [(report, topic, "t1"), (report, topic, "t1")])
    answers = sorted((answer.recorded, answer.duplicates) for answer in (unwrap(r, OutcomesRecorded) for r in replies))
    assert answers == [(0, 1), (1, 0)]  # the same report twice (a redelivery): recorded once
    [page], _ = await ask_many(system.bootstrap_servers, [(ListUserStatuses(product="Sales"), topic, "t1")],
                               tenant_id="t1")
    assert [(user.user_name, user.status) for user in unwrap(page, UserStatusPage).users] == [
        ("ann@acme.example", "synced")]
    assert await stored_user_names(postgres_url) == ["ann@acme.example"]
    assert not list(system.data_dir.rglob("*.sqlite3"))  # nothing of it on this host's disk
