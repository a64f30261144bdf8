"""Token expiry reminders: each milestone once per admin, across notifier replicas and a restart (issue 5)."""

from datetime import timedelta

import pytest

from contracts import MessageMeta
from contracts.notifications.v1 import ListNotifications, NotificationPage, Notify
from contracts.topics import NOTIFIER_COMMANDS
from services.gateway.tenancy.rules import add_admin, new_tenant
from services.notifier.bootstrap import bootstrap as notifier_bootstrap
from services.notifier.scheduled.schedule import accepted_by
from services.notifier.scheduled.token_reminders import TokenReminders, due_notice
from services.notifier.settings import NotifierSettings
from shared.devtools.local_kafka import free_port
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap
from shared.tenants_topic import LatestTenants
from tests.services.gateway.admin_support import add_admin as add_admin_api
from tests.services.gateway.admin_support import (
    create_tenant,
    eventually,
    published,
    start_gateway,
)
from tests.services.notifier.scheduled_support import accepted, scheduled_notifier
from tests.support.clock import FakeClock

DAYS = 90


def tenant_with_admins(clock: FakeClock, admins: int = 2):
    record = new_tenant("acme", clock(), token_days=DAYS).record
    for i in range(admins):
        record = add_admin(record, f"Admin {i}", f"admin{i}@acme.example", clock()).record
    return record


@pytest.mark.parametrize(("days_before_expiry", "expected"), [
    (31, None), (30, "token-expiry:{}:30d"), (20, "token-expiry:{}:30d"), (14, "token-expiry:{}:14d"),
    (5, "token-expiry:{}:7d"), (1, "token-expiry:{}:1d"), (0.01, "token-expiry:{}:1d"),
    (0, "token-expired:{}"), (-3, "token-expired:{}"),
])
def test_the_latest_due_milestone_is_the_notice(days_before_expiry, expected):
    clock = FakeClock()
    record = tenant_with_admins(clock)
    clock.now = record.token.expires_at - timedelta(days=days_before_expiry)
    notice = due_notice(record, clock())
    key = expected.format(record.token.token_id) if expected else None
    assert (notice.dedupe_key if notice else None) == key
    if notice:
        assert [r.email for r in notice.recipients] == ["admin0@acme.example", "admin1@acme.example"]


def test_no_token_or_no_admin_means_no_notice():
    clock = FakeClock()
    record = tenant_with_admins(clock, admins=0)
    clock.now = record.token.expires_at
    assert due_notice(record, clock()) is None
    assert due_notice(tenant_with_admins(clock).model_copy(update={"token": None}), clock()) is None


async def test_each_milestone_reaches_each_admin_once_with_two_replicas_and_a_restart(tmp_path, database):
    """Two notifier replicas look every "hour"; one restarts half-way and forgets what it accepted. The
    notifier's store (real handlers, real SQLite or PostgreSQL) ends with exactly one notice per milestone per admin."""
    clock = FakeClock()
    tenants = LatestTenants()
    record = tenant_with_admins(clock)
    tenants.apply([record])
    settings = NotifierSettings(data_dir=tmp_path, smtp_port=free_port(), delivery_poll_seconds=3600, **database)
    async with notifier_bootstrap(settings, ServiceIdentity("notifier", "t"), clock=clock) as notifier:
        accept = accepted_by(notifier, "notifier/t")
        replicas = [TokenReminders(tenants, clock), TokenReminders(tenants, clock)]
        for hour in range(DAYS * 24 + 48):
            clock.now = record.token.created + timedelta(hours=hour)
            if hour == DAYS * 12:
                replicas[1] = TokenReminders(tenants, clock)  # restarted: its memory is gone
            for replica in replicas:
                await replica.accept_due(accept)
        for admin in record.admins:
            page = unwrap(await notifier(ListNotifications(admin_id=admin.admin_id, count=50),
                                         MessageMeta(message_type="x", tenant_id=record.tenant_id)), NotificationPage)
            subjects = sorted(n.subject for n in page.notifications)
            assert subjects == sorted([
                "Your scimflow API token expires in 30 days", "Your scimflow API token expires in 14 days",
                "Your scimflow API token expires in 7 days", "Your scimflow API token expires in 1 day",
                "Your scimflow API token has expired: provisioning has stopped",
            ])


async def test_a_running_notifier_accepts_the_due_reminder(aiohttp_client, memory_bus, tmp_path, database):
    """The production wiring: the notifier's reminder loop reads the tenants the gateway writes on
    tenants.state and files the due notice; the gateway itself sends none."""
    clock = FakeClock()
    client = await start_gateway(aiohttp_client, memory_bus, tmp_path, clock)
    async with scheduled_notifier(memory_bus, tmp_path, clock, reminder_interval_seconds=0.02,
                                  **database) as notifier:
        tenant = await create_tenant(client, token_expires_in_days=90)
        await add_admin_api(client, tenant["tenant_id"], "ada@acme.example")
        clock.advance(days=80)  # 10 days left: the 14-day reminder is due

        notices = await eventually(lambda: accepted(notifier))
    assert [(n.kind, n.dedupe_key.endswith(":14d"), n.emails) for n in notices] == [
        ("token_expiring", True, ["ada@acme.example"])]
    assert [m for m in await published(memory_bus, NOTIFIER_COMMANDS.name) if isinstance(m, Notify)] == []
