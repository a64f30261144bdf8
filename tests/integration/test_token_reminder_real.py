"""Issue 7, "done when" 1 (token half), on the real system: a token 30 days from expiry produces one
email and one in-app notice per admin. The tenant's record (token issued 61 days ago, two admins) is
published on the compacted tenants.state topic, as the gateway that created it would have done then;
the notifier's reminder loop, its outbox and a real SMTP server do the rest (the gateway shows the
in-app notices)."""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts import MessageMeta
from contracts.tenants.v2 import TenantRecord
from contracts.topics import TENANTS_STATE
from services.gateway.tenancy.rules import add_admin, new_tenant
from shared.messaging.codec import encode_body, encode_headers
from shared.messaging.kafka import KafkaBus
from tests.integration.conftest import wait_until
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.integration


def tenant_61_days_old() -> tuple[TenantRecord, dict[str, str]]:
    """The record, and each admin's key by email."""
    issued, domain = datetime.now(UTC) - timedelta(days=61), f"acme-{uuid.uuid4().hex[:8]}.example"
    record, keys = new_tenant("acme", issued, token_days=90).record, {}
    for email in (f"ada@{domain}", f"bob@{domain}"):  # its own: other tests' tenants share the topic
        added = add_admin(record, email.split("@")[0].title(), email, issued)
        record, keys[email] = added.record, added.secret
    return record, keys


async def publish(bootstrap_servers: str, record: TenantRecord) -> None:
    meta = MessageMeta(message_type=record.TYPE, tenant_id=record.tenant_id, source="test")
    async with KafkaBus(bootstrap_servers, client_id="test-tenants").publisher() as publisher:
        await publisher.send(TENANTS_STATE.name, encode_body(record), key=record.tenant_id,
                             headers=encode_headers(meta))


def without_admins(record: TenantRecord) -> TenantRecord:
    """The tenant's next revision, with nobody to tell: the broker is shared, so the notifier of a later
    test (one with its own mailbox to count) must not remind this test's admins again."""
    return record.model_copy(update={"admins": (), "revision": record.revision + 1})


def mails_to(smtp: SmtpServer, keys: dict[str, str]) -> list[tuple[str, str]]:
    """(To, Subject) of the mails to this tenant's admins (the broker's other tenants get theirs too)."""
    return sorted((m["To"], m["Subject"]) for m in smtp.mailbox.messages if m["To"] in keys)


def in_app(base_url: str, admin_key: str) -> dict:
    request = urllib.request.Request(f"{base_url}/admin/v1/tenant/notifications",
                                     headers={"Authorization": f"Bearer {admin_key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


async def test_a_token_30_days_from_expiry_mails_and_notifies_each_admin_once(scheduled_system,
                                                                              shared_smtp: SmtpServer):
    record, keys = tenant_61_days_old()
    try:
        await publish(scheduled_system.bootstrap_servers, record)
        wait_until(lambda: len(mails_to(shared_smtp, keys)) >= 2, timeout=60)
        await asyncio.sleep(2)  # several more reminder rounds: still one mail per admin
        mails = mails_to(shared_smtp, keys)
        notices = {email: in_app(scheduled_system.base_url, key) for email, key in keys.items()}
    finally:
        await publish(scheduled_system.bootstrap_servers, without_admins(record))
    assert mails == [(email, "Your scimflow API token expires in 30 days") for email in sorted(keys)]
    for page in notices.values():
        assert (page["total_results"], page["unread"]) == (1, 1)
        assert page["notifications"][0]["subject"] == "Your scimflow API token expires in 30 days"
