"""Notices reach every admin in-app and by email, exactly once, through SMTP outages (issue 7)."""

import asyncio

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
from services.notifier.delivery import CLAIM, Outbox, SmtpSender
from services.notifier.settings import NotifierSettings
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap
from shared.sqlite import create_engine, session_factory

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


def outbox_of(settings, clock) -> tuple[Outbox, object]:
    """A second outbox on the same file: a delivery round as any notifier replica would run it."""
    engine = create_engine(settings.db_path)
    return Outbox(session_factory(engine), SmtpSender(settings), settings, clock), engine


async def deliver(settings, clock) -> int:
    outbox, engine = outbox_of(settings, clock)
    try:
        return await outbox.deliver_due()
    finally:
        await engine.dispose()


async def settled(smtp, expected: int) -> list:
    """The mailbox once ``expected`` messages arrived (the notifier's own loop may be the one sending)."""
    for _ in range(100):
        if len(smtp.mailbox.messages) >= expected:
            break
        await asyncio.sleep(0.05)
    return smtp.mailbox.messages


async def no_send_in_flight(settings) -> None:
    """No outbox row is claimed: a send racing the test's clock jump would look like a duplicate."""
    engine = create_engine(settings.db_path)
    try:
        for _ in range(100):
            async with session_factory(engine)() as session:
                claimed = (await session.exec(text(CLAIMED))).scalar()
            if not claimed:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("an outbox row stayed claimed")
    finally:
        await engine.dispose()


async def test_each_admin_gets_one_in_app_notice_and_one_email(notifier, settings, clock, smtp):
    await accepted(notifier, notice())
    await deliver(settings, clock)
    assert len(await settled(smtp, 2)) == 2
    assert sorted(m["To"] for m in smtp.mailbox.messages) == ["one@acme.example", "two@acme.example"]
    assert {m["Subject"] for m in smtp.mailbox.messages} == {"Your API token expires in 30 days"}
    for admin in ADMINS:
        page = await inbox(notifier, admin.admin_id)
        assert (page.total_results, page.unread) == (1, 1) and page.notifications[0].kind == "token_expiring"


async def test_the_same_dedupe_key_is_one_notice_however_often_it_arrives(notifier, settings, clock, smtp):
    """Kafka redelivery, two replicas, a restart mid-way: the sender repeats; admins hear it once."""
    first = await accepted(notifier, notice())
    repeats = await asyncio.gather(*(accepted(notifier, notice()) for _ in range(5)))
    assert not first.duplicate and all(r.duplicate and r.notification_id == first.notification_id for r in repeats)
    await deliver(settings, clock)
    await deliver(settings, clock)
    assert len(await settled(smtp, 2)) == 2
    assert (await inbox(notifier, "a1")).total_results == 1


async def test_an_smtp_outage_queues_mail_and_delivers_it_once_when_smtp_returns(notifier, settings, clock, smtp):
    smtp.stop()
    await accepted(notifier, notice("n1"))
    await accepted(notifier, notice("n2"))
    assert await deliver(settings, clock) == 0  # refused: kept, with a retry time
    clock.advance(1)
    assert await deliver(settings, clock) == 0  # not due yet: backoff, not a busy loop
    await no_send_in_flight(settings)  # the notifier's own loop, woken by the notices, is done failing
    smtp.start()
    clock.advance(settings.retry_max_seconds)
    assert await deliver(settings, clock) == 4
    clock.advance(settings.retry_max_seconds)
    assert await deliver(settings, clock) == 0
    assert sorted((m["Subject"], m["To"]) for m in smtp.mailbox.messages) == sorted(
        [(notice().subject, admin.email) for admin in ADMINS] * 2)
    assert len({m["Message-ID"] for m in smtp.mailbox.messages}) == 4


async def test_three_replicas_delivering_at_once_send_each_email_once(notifier, settings, clock, smtp):
    """Two extra outboxes on the same file race the notifier's own loop (woken by the notice)."""
    many = [Recipient(admin_id=f"a{i}", email=f"admin{i}@acme.example") for i in range(30)]
    await accepted(notifier, notice(recipients=many))
    await asyncio.gather(deliver(settings, clock), deliver(settings, clock))
    messages = await settled(smtp, 30)
    await deliver(settings, clock)
    assert len(messages) == 30 and len({m["Message-ID"] for m in messages}) == 30


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


async def test_a_new_notice_wakes_the_delivery_loop(tmp_path, smtp, clock):
    """With a long poll interval, a notice still goes out at once: the handler wakes the loop."""
    from services.notifier.bootstrap import bootstrap
    from services.notifier.settings import NotifierSettings
    from shared.messaging.ping import ServiceIdentity

    settings = NotifierSettings(data_dir=tmp_path / "wake", smtp_port=smtp.port, delivery_poll_seconds=3600)
    async with bootstrap(settings, ServiceIdentity("notifier", "w"), clock=clock) as notifier:
        await accepted(notifier, notice())
        for _ in range(100):
            if len(smtp.mailbox.messages) == 2:
                break
            await asyncio.sleep(0.05)
    assert len(smtp.mailbox.messages) == 2


async def test_a_batch_outlasting_its_claim_leaves_what_another_replica_took(tmp_path, clock):
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

    settings = NotifierSettings(data_dir=tmp_path, delivery_poll_seconds=3600)
    many = [Recipient(admin_id=f"a{i}", email=f"admin{i}@acme.example") for i in range(5)]
    async with bootstrap(settings, ServiceIdentity("notifier", "a"), sender=Slow(), clock=clock) as notifier:
        try:
            await accepted(notifier, notice(recipients=many))  # wakes A's delivery loop
            await asyncio.wait_for(stalled.wait(), 5)
            engine = create_engine(settings.db_path)
            try:  # the batch's claim ran out; the row A is sending was claimed again before its send
                assert await Outbox(session_factory(engine), Recording(), settings, clock).deliver_due() == 3
            finally:
                await engine.dispose()
        finally:
            go_on.set()
        await no_send_in_flight(settings)
    assert sorted(email for _, email in sent) == sorted(r.email for r in many)  # each once
    assert [who for who, _ in sent] == ["A", "A", "B", "B", "B"]
