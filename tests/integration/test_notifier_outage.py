"""Issue 7 "done when" 2 on the real broker: with SMTP down, notices queue in the notifier process and
are delivered exactly once when SMTP comes back; a redelivered notice is not sent twice."""

from __future__ import annotations

import pytest

from contracts.notifications.v1 import NotificationAccepted, Notify, Recipient
from contracts.topics import NOTIFIER_COMMANDS
from shared.devtools.local_kafka import free_port
from shared.messaging.requester import unwrap
from tests.integration.conftest import wait_until
from tests.integration.kafka_ask import ask_many
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration

ADMINS = [Recipient(admin_id="a1", email="one@acme.example"), Recipient(admin_id="a2", email="two@acme.example")]


def notice(key: str) -> Notify:
    return Notify(kind="provisioning_failed", subject=f"Provisioning failed ({key})", body="No free seat.",
                  recipients=ADMINS, dedupe_key=key)


def ours(smtp: SmtpServer) -> list:
    """The mail to this test's admins: the notifier also runs its scheduled notices, and the broker holds
    other tests' tenants (a reminder due to one of their admins is not this test's business)."""
    return [message for message in smtp.mailbox.messages if message["To"] in {admin.email for admin in ADMINS}]


async def test_an_smtp_outage_delays_mail_but_loses_and_repeats_none(make_system):
    smtp = SmtpServer(free_port())  # not started: SMTP is down
    system = make_system(SCIMFLOW_SMTP_PORT=str(smtp.port), SCIMFLOW_RETRY_BASE_SECONDS="0.5",
                         SCIMFLOW_RETRY_MAX_SECONDS="1", SCIMFLOW_DELIVERY_POLL_SECONDS="0.5")
    system.start_service("notifier", "notifier-1")
    commands = [(notice(key), NOTIFIER_COMMANDS.name, "t1") for key in ("n1", "n2", "n1")]  # n1 twice
    replies, _ = await ask_many(system.bootstrap_servers, commands, tenant_id="t1")
    assert [unwrap(r, NotificationAccepted).duplicate for r in replies] == [False, False, True]
    log = system.log_dir / "notifier-1.log"
    wait_until(lambda: "will retry" in log.read_text(), timeout=30)  # it tried, and SMTP was down
    try:
        smtp.start()
        wait_until(lambda: len(ours(smtp)) >= 4, timeout=30)
        system.stop()  # nothing more can arrive: count what did
        sent = sorted((m["Subject"], m["To"]) for m in ours(smtp))
    finally:
        smtp.stop()
    assert sent == sorted((f"Provisioning failed ({key})", a.email) for key in ("n1", "n2") for a in ADMINS)
