"""Issue 25 on the real system: two notifier processes, started as an operator starts them with
SCIMFLOW_DATABASE_URL, keep their notices in PostgreSQL (the notifier's schema there, no SQLite file), serve
commands from the real broker, and share one outbox: each email goes out once, whichever copy sends it."""

from __future__ import annotations

import pytest

from contracts.notifications.v1 import ListNotifications, NotificationAccepted, NotificationPage, Notify, Recipient
from contracts.topics import NOTIFIER_COMMANDS
from shared.devtools.local_kafka import free_port
from shared.devtools.local_postgres import fetch_rows
from shared.messaging.requester import unwrap
from tests.integration.conftest import wait_until
from tests.integration.kafka_ask import ask_many
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration

TENANT = "t-pg-notifier"
ADMINS = [Recipient(admin_id="a1", email="one@pg.example"), Recipient(admin_id="a2", email="two@pg.example")]


def notice(key: str) -> Notify:
    return Notify(kind="provisioning_failed", subject=f"Provisioning failed ({key})", body="No free seat.",
                  recipients=ADMINS, dedupe_key=key)


def ours(smtp: SmtpServer) -> list:
    """The mail to this test's admins (the broker holds other tests' tenants, whose reminders may fall due)."""
    return [message for message in smtp.mailbox.messages if message["To"] in {admin.email for admin in ADMINS}]


async def stored_dedupe_keys(database_url: str) -> list[str]:
    sql = "SELECT dedupe_key FROM notifier.notifications WHERE tenant_id = $1"
    return sorted(row[0] for row in await fetch_rows(database_url, sql, TENANT))

async def test_two_notifiers_on_postgres_serve_over_the_real_broker_and_send_each_email_once(make_system,
                                                                                             postgres_url):
    smtp = SmtpServer(free_port())
    smtp.start()
    try:
        system = make_system(SCIMFLOW_DATABASE_URL=postgres_url, SCIMFLOW_SMTP_PORT=str(smtp.port),
                             SCIMFLOW_DELIVERY_POLL_SECONDS="0.2")
        system.start_service("notifier", "notifier-1")
        system.start_service("notifier", "notifier-2")
        system.wait_healthy(timeout=120)  # joined its group: a command sent sooner could outlive its deadline
        topic = NOTIFIER_COMMANDS.name
        commands = [(notice(key), topic, TENANT) for key in ("n1", "n2", "n3", "n1")]  # n1 twice: a redelivery
        replies, _ = await ask_many(system.bootstrap_servers, commands, tenant_id=TENANT)
        assert [unwrap(r, NotificationAccepted).duplicate for r in replies] == [False, False, False, True]
        wait_until(lambda: len(ours(smtp)) >= 6, timeout=60)
        [page], _ = await ask_many(system.bootstrap_servers, [(ListNotifications(admin_id="a1"), topic, TENANT)],
                                   tenant_id=TENANT)
        system.stop()  # each copy ends its delivery round first: a send in flight arrives before we count
        sent = sorted((m["Subject"], m["To"]) for m in ours(smtp))
    finally:
        smtp.stop()
    assert sent == sorted((f"Provisioning failed ({key})", a.email) for key in ("n1", "n2", "n3") for a in ADMINS)
    listed = unwrap(page, NotificationPage)
    assert (listed.total_results, listed.unread) == (3, 3)
    assert await stored_dedupe_keys(postgres_url) == ["n1", "n2", "n3"]
    assert not list(system.data_dir.rglob("*.sqlite3"))  # nothing of it on this host's disk
