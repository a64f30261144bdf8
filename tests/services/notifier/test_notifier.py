"""Notices reach every admin in-app and by email, exactly once, through SMTP outages (issue 7)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from contracts import MessageMeta
from contracts.notifications.v1 import (
    ListNotifications,
    MarkNotificationsRead,
    NotificationAccepted,
    NotificationPage,
    NotificationsMarked,
    Notify,
    Recipient,
)
from services.notifier.bootstrap import bootstrap
from services.notifier.delivery import CLAIM, MailSender, Outbox, SmtpSender, run_delivery
from services.notifier.handlers import HANDLERS, Deps
from services.notifier.migrations import SCHEMA
from services.notifier.settings import NotifierSettings
from shared.messaging.dispatch import Dispatcher
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap
from shared.store.backend import open_store

CLAIMED = "SELECT count(*) FROM outbox WHERE claimed_until IS NOT NULL"
ADMINS = [Recipient(admin_id="a1", email="one@acme.example"), Recipient(admin_id="a2", email="two@acme.example")]


def meta(tenant: str = "t1") -> MessageMeta:
    return MessageMeta(message_type="x", tenant_id=tenant)


def notice(dedupe_key: str = "token-expiry:tok1:30d", recipients=ADMINS) -> Notify:
    return Notify(kind="token_expiring", subject="Your API token expires in 30 days",
                  body="Generate a new token before 2026-12-23.", recipients=recipients, dedupe_key=dedupe_key)


async def accepted(notifier, command: Notify, tenant: str = "t1") -> NotificationAccepted:
    return unwrap(await notifier(command, meta(tenant)), NotificationAccepted)


async def inbox(notifier, admin_id: str, tenant: str = "t1", **options) -> NotificationPage:
    return unwrap(await notifier(ListNotifications(admin_id=admin_id, **options), meta(tenant)), NotificationPage)


@asynccontextmanager
async def replica_outbox(settings, clock, sender: MailSender | None = None) -> AsyncIterator[Outbox]:
    """Another outbox on the same store (file or database): a delivery round as any notifier replica would
    run it."""
    async with open_store(settings.store, SCHEMA, clock=clock) as store:
        yield Outbox(store.uow, sender or SmtpSender(settings), settings, clock)


@pytest.fixture
async def replicas(notifier, settings, clock) -> AsyncIterator[tuple[Outbox, Outbox]]:
    """Two more notifier replicas' outboxes on its store, opened before the test sends a notice: opening one
    makes its tables, which on SQLite waits for the write lock by sleeping the thread, and in this one process
    the notifier's own delivery round, holding that lock, could not finish meanwhile."""
    async with replica_outbox(settings, clock) as one, replica_outbox(settings, clock) as two:
        yield one, two


async def settled(smtp, expected: int) -> list:
    """The mailbox once ``expected`` messages arrived (the notifier's own loop may be the one sending)."""
    for _ in range(100):
        if len(smtp.mailbox.messages) >= expected:
            break
        await asyncio.sleep(0.05)
    return smtp.mailbox.messages


async def no_send_in_flight(outbox: Outbox) -> None:
    """No outbox row is claimed: a send racing the test's clock jump would look like a duplicate."""
    for _ in range(100):
        async with outbox.uow(read_only=True) as uow:
            claimed = (await uow.session.exec(text(CLAIMED))).scalar()
        if not claimed:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("an outbox row stayed claimed")


async def test_each_admin_gets_one_in_app_notice_and_one_email(notifier, settings, clock, smtp, replicas):
    await accepted(notifier, notice())
    await replicas[0].deliver_due()
    assert len(await settled(smtp, 2)) == 2
    assert sorted(m["To"] for m in smtp.mailbox.messages) == ["one@acme.example", "two@acme.example"]
    assert {m["Subject"] for m in smtp.mailbox.messages} == {"Your API token expires in 30 days"}
    for admin in ADMINS:
        page = await inbox(notifier, admin.admin_id)
        assert (page.total_results, page.unread) == (1, 1) and page.notifications[0].kind == "token_expiring"


async def test_the_same_dedupe_key_is_one_notice_however_often_it_arrives(notifier, settings, clock, smtp, replicas):
    """Kafka redelivery, two replicas, a restart mid-way: the sender repeats; admins hear it once."""
    first = await accepted(notifier, notice())
    repeats = await asyncio.gather(*(accepted(notifier, notice()) for _ in range(5)))
    assert not first.duplicate and all(r.duplicate and r.notification_id == first.notification_id for r in repeats)
    await replicas[0].deliver_due()
    await replicas[0].deliver_due()
    assert len(await settled(smtp, 2)) == 2
    assert (await inbox(notifier, "a1")).total_results == 1


async def test_an_smtp_outage_queues_mail_and_delivers_it_once_when_smtp_returns(notifier, settings, clock, smtp, replicas):
    smtp.stop()
    await accepted(notifier, notice("n1"))
    await accepted(notifier, notice("n2"))
    assert await replicas[0].deliver_due() == 0  # refused: kept, with a retry time
    clock.advance(1)
    assert await replicas[0].deliver_due() == 0  # not due yet: backoff, not a busy loop
    await no_send_in_flight(replicas[0])  # the notifier's own loop, woken by the notices, is done failing
    smtp.start()
    clock.advance(settings.retry_max_seconds)
    assert await replicas[0].deliver_due() == 4
    clock.advance(settings.retry_max_seconds)
    assert await replicas[0].deliver_due() == 0
    assert sorted((m["Subject"], m["To"]) for m in smtp.mailbox.messages) == sorted(
        [(notice().subject, admin.email) for admin in ADMINS] * 2)
    assert len({m["Message-ID"] for m in smtp.mailbox.messages}) == 4


async def test_three_replicas_delivering_at_once_send_each_email_once(notifier, settings, clock, smtp, replicas):
    """Two extra outboxes on the same store race the notifier's own loop (woken by the notice)."""
    many = [Recipient(admin_id=f"a{i}", email=f"admin{i}@acme.example") for i in range(30)]
    await accepted(notifier, notice(recipients=many))
    await asyncio.gather(replicas[0].deliver_due(), replicas[1].deliver_due())
    messages = await settled(smtp, 30)
    await replicas[0].deliver_due()
    assert len(messages) == 30 and len({m["Message-ID"] for m in messages}) == 30


async def test_two_copies_accepting_one_notice_at_once_file_it_once(tmp_path, clock, database):
    """The same notice reaching two copies at the same moment (a redelivery after a rebalance): on PostgreSQL
    both insert it at once, and the second insert waits for the first and files nothing."""
    settings = NotifierSettings(data_dir=tmp_path, delivery_poll_seconds=3600, **database)
    async with (open_store(settings.store, SCHEMA, clock=clock) as one,
                open_store(settings.store, SCHEMA, clock=clock) as two):
        copies = [Dispatcher(HANDLERS, Deps(ServiceIdentity("notifier", name), store.uow, clock=clock))
                  for name, store in (("one", one), ("two", two))]
        answers = await asyncio.gather(*(accepted(copy, notice()) for copy in copies for _ in range(3)))
        async with one.uow(read_only=True) as uow:
            emails = (await uow.session.exec(text("SELECT count(*) FROM outbox"))).scalar()
    assert len({answer.notification_id for answer in answers}) == 1
    assert sorted(answer.duplicate for answer in answers) == [False] + [True] * 5
    assert emails == len(ADMINS)


class CopyOfTheNotifier:
    """A notifier copy's mail sender: records which copy sent which email (by its stable Message-ID)."""

    def __init__(self, name: str, sent: list[tuple[str, str]]) -> None:
        self.name, self.sent = name, sent

    async def send(self, message) -> None:
        self.sent.append((self.name, message["Message-ID"]))
        await asyncio.sleep(0)  # as a real send would, lets the other copy's loop run meanwhile


async def test_two_copies_delivery_loops_over_one_outbox_send_each_email_exactly_once(tmp_path, clock, database):
    """Two notifier copies (each its own store on one database, as on two hosts; on PostgreSQL they claim
    at the same time) poll one outbox: each email goes out once, and both copies took part. Without the
    claim's FOR UPDATE SKIP LOCKED both copies took the same batches on PostgreSQL (measured: 223 sends of 120 emails)."""
    settings = NotifierSettings(data_dir=tmp_path, delivery_poll_seconds=0.01, **database)
    admins = [Recipient(admin_id=f"a{i}", email=f"admin{i}@acme.example") for i in range(120)]  # 3 batches
    sent: list[tuple[str, str]] = []
    async with (open_store(settings.store, SCHEMA, clock=clock) as one,
                open_store(settings.store, SCHEMA, clock=clock) as two):
        filing = Dispatcher(HANDLERS, Deps(ServiceIdentity("notifier", "one"), one.uow, clock=clock))
        await accepted(filing, notice(recipients=admins))
        stop = asyncio.Event()
        loops = [asyncio.create_task(run_delivery(Outbox(store.uow, CopyOfTheNotifier(name, sent), settings, clock),
                                                  stop, asyncio.Event()))
                 for name, store in (("one", one), ("two", two))]
        for _ in range(600):
            if len(sent) >= len(admins):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # more rounds of both loops: a duplicate would show now
        stop.set()
        await asyncio.gather(*loops)
    message_ids = [message_id for _, message_id in sent]
    assert len(message_ids) == len(set(message_ids)) == len(admins)
    assert {name for name, _ in sent} == {"one", "two"}


async def test_admins_read_their_own_notices_only(notifier):
    first = await accepted(notifier, notice("n1"))
    await accepted(notifier, notice("n2"))
    await accepted(notifier, notice("other-tenant"), tenant="t2")
    marked = await notifier(MarkNotificationsRead(admin_id="a1", ids=[first.notification_id]), meta())
    assert unwrap(marked, NotificationsMarked).marked == 1
    again = await notifier(MarkNotificationsRead(admin_id="a1", ids=[first.notification_id]), meta())
    assert unwrap(again, NotificationsMarked).marked == 0
    page = await inbox(notifier, "a1", unread_only=True)
    assert (page.total_results, page.unread) == (1, 1)
    assert (await inbox(notifier, "a2")).unread == 2  # a1 reading did not mark a2's copy
    other = await notifier(MarkNotificationsRead(admin_id="a1", ids=[first.notification_id]), meta("t2"))
    assert unwrap(other, NotificationsMarked).marked == 0


async def test_a_new_notice_wakes_the_delivery_loop(tmp_path, smtp, clock, database):
    """With a long poll interval, a notice still goes out at once: the handler wakes the loop."""
    settings = NotifierSettings(data_dir=tmp_path / "wake", smtp_port=smtp.port, delivery_poll_seconds=3600,
                                **database)
    async with bootstrap(settings, ServiceIdentity("notifier", "w"), clock=clock) as notifier:
        await accepted(notifier, notice())
        for _ in range(100):
            if len(smtp.mailbox.messages) == 2:
                break
            await asyncio.sleep(0.05)
    assert len(smtp.mailbox.messages) == 2


async def test_a_batch_outlasting_its_claim_leaves_what_another_replica_took(tmp_path, clock, database):
    """Sends one after another (each up to the SMTP timeout) can outlast the claim on the batch: another
    replica then claims the rest. The first must not send those too (measured: 10 duplicates in 50)."""
    sent, stalled, go_on = [], asyncio.Event(), asyncio.Event()
    half_a_claim = CLAIM.total_seconds() / 2 + 1

    class Slow:  # replica A: each send takes half a claim; the second one stalls until B's round is done
        async def send(self, message):
            sent.append(("A", message["To"]))
            clock.advance(seconds=half_a_claim)
            if len(sent) == 2:
                stalled.set()
                await go_on.wait()

    class Recording:  # replica B
        async def send(self, message):
            sent.append(("B", message["To"]))

    settings = NotifierSettings(data_dir=tmp_path, delivery_poll_seconds=3600, **database)
    many = [Recipient(admin_id=f"a{i}", email=f"admin{i}@acme.example") for i in range(5)]
    async with (bootstrap(settings, ServiceIdentity("notifier", "a"), sender=Slow(), clock=clock) as notifier,
                replica_outbox(settings, clock, Recording()) as replica):
        try:
            await accepted(notifier, notice(recipients=many))  # wakes A's delivery loop
            await asyncio.wait_for(stalled.wait(), 5)
            # the batch's claim ran out; the row A is sending was claimed again before its send
            assert await replica.deliver_due() == 3
        finally:
            go_on.set()
        await no_send_in_flight(replica)
    assert sorted(email for _, email in sent) == sorted(r.email for r in many)  # each once
    assert [who for who, _ in sent] == ["A", "A", "B", "B", "B"]


async def test_a_notice_filed_while_a_round_runs_wakes_the_next_round():
    """The wake set during a round (a notice committed meanwhile, the round's claim having missed it) is not
    lost: cleared after the round, it left the email to the next poll (an hour here)."""
    stop, wake, rounds = asyncio.Event(), asyncio.Event(), []

    class Outbox:
        settings = SimpleNamespace(delivery_poll_seconds=3600)

        async def deliver_due(self) -> None:
            rounds.append(len(rounds))
            if len(rounds) == 1:
                wake.set()  # what notify() does once its notice is committed
            else:
                stop.set()

    await asyncio.wait_for(run_delivery(Outbox(), stop, wake), timeout=10)
    assert rounds == [0, 1]
