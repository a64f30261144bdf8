"""Notifications (the unread count on every page, the list, mark as read) and the Overview."""

import re

from contracts import MessageMeta
from contracts.notifications.v1 import NotificationAccepted, Notify, Recipient
from shared.messaging.requester import unwrap
from tests.services.gateway.admin_support import OPERATOR, json_ok
from tests.services.portal.portal_support import page, submit, text_of


async def notify(notifier, gw, acme, subject: str, body: str = "Details") -> None:
    admins = (await json_ok(await gw.get("/admin/v1/tenant/admins",
                                         headers={"Authorization": f"Bearer {acme['admin_key']}"})))["admins"]
    recipients = [Recipient(admin_id=a["admin_id"], email=a["email"]) for a in admins]
    notice = Notify(kind="seats_low", subject=subject, body=body, recipients=recipients, dedupe_key=subject)
    unwrap(await notifier(notice, MessageMeta(message_type=notice.TYPE, tenant_id=acme["tenant_id"])),
           NotificationAccepted)


async def test_the_unread_count_shows_on_every_page_and_drops_when_marked_read(admin, notifier, gw, acme):
    await notify(notifier, gw, acme, "Sales seats are 90 % used")
    await notify(notifier, gw, acme, "Your token expires in 30 days", "<b>not bold</b>")
    for path in ("/", "/sets", "/users"):
        assert "2 unread" in text_of(await page(admin, path)), path
    html = await page(admin, "/notifications")
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    first = re.search(r'name="id" value="([^"]+)"', html).group(1)
    response = await submit(admin, "/notifications", "/notifications/read", {"id": first})
    text = text_of(await response.text())
    assert "Marked 1 read" in text and "1 unread" in text


async def test_marking_nothing_read_says_what_to_do(admin, notifier, gw, acme):
    await notify(notifier, gw, acme, "A notice")
    response = await submit(admin, "/notifications", "/notifications/read", {})
    assert "Tick at least one notification" in text_of(await response.text())


async def test_the_overview_shows_seats_used_and_warnings(admin, gw, acme):
    await json_ok(await gw.patch(f"/admin/v1/tenants/{acme['tenant_id']}/products/Sales", headers=OPERATOR,
                                 json={"seats": 0}))
    text = text_of(await page(admin, "/"))
    assert "Sales" in text and "Out of seats" not in text  # no seats at all is not "running out"
    await json_ok(await gw.post(f"/admin/v1/tenants/{acme['tenant_id']}/products", headers=OPERATOR,
                                json={"product": "Talent", "seats": 1, "expires_at": "2026-12-01T00:00:00+00:00"}),
                  201)
    text = text_of(await page(admin, "/"))
    assert "Talent" in text and "Expired" in text
    assert "Synced 0" in text and "Last successful provisioning never" in text
