"""The notifier counts the emails it sent and the attempts that failed, and shows how many wait in its
outbox (shared/metrics/emails.py), through its own delivery loop."""

import asyncio
import time

from prometheus_client import REGISTRY

from contracts import MessageMeta
from contracts.notifications.v1 import NotificationAccepted, Notify, Recipient
from services.notifier.bootstrap import bootstrap
from services.notifier.settings import NotifierSettings
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap
from shared.metrics.emails import EMAILS_WAITING

UNREACHABLE = "nobody@unreachable.example"


class RefusingOne:
    """Accepts every email but those to UNREACHABLE (as an SMTP server refusing a recipient would)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message) -> None:
        if message["To"] == UNREACHABLE:
            raise OSError("connection refused")
        self.sent.append(message["To"])


def value(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        await asyncio.sleep(0.05)


async def test_sent_failed_and_waiting_emails_are_counted(tmp_path, clock, database):
    recipients = [Recipient(admin_id=f"a{i}", email=f"admin{i}@acme.example") for i in range(2)]
    recipients.append(Recipient(admin_id="gone", email=UNREACHABLE))
    notice = Notify(kind="token_expiring", subject="s", body="b", recipients=recipients, dedupe_key="k1")
    sender = RefusingOne()
    sent_before, failed_before = value("scimflow_emails_sent_total"), value("scimflow_emails_failed_total")
    EMAILS_WAITING.set(-1)  # what an earlier test's round left is no answer: only this round's is
    settings = NotifierSettings(data_dir=tmp_path, delivery_poll_seconds=3600, **database)
    async with bootstrap(settings, ServiceIdentity("notifier", "m"), sender=sender, clock=clock) as notifier:
        unwrap(await notifier(notice, MessageMeta(message_type="x", tenant_id="t1")), NotificationAccepted)
        # its loop (woken by the notice) sent two, failed one, and ended its round with that one left
        await until(lambda: (value("scimflow_emails_sent_total"), value("scimflow_emails_failed_total"),
                             value("scimflow_emails_waiting")) == (sent_before + 2, failed_before + 1, 1))
    assert sorted(sender.sent) == ["admin0@acme.example", "admin1@acme.example"]
