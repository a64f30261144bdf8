"""An admin's in-app notifications through the admin API, answered by the real notifier on the in-memory
bus: each admin sees their own, with the unread count, and marks them read (issue 7)."""

from __future__ import annotations

import pytest

from contracts import MessageMeta
from contracts.notifications.v1 import NotificationAccepted, Notify, Recipient
from shared.messaging.requester import unwrap
from tests.services.gateway.admin_support import (
    add_admin,
    bearer,
    json_ok,
    tenant_with_admin,
)


@pytest.fixture
async def two_admins(gateway, notifier):
    """(gateway, ada's headers, bob's headers): two notices for both, one more for ada only."""
    tenant, ada = await tenant_with_admin(gateway)
    bob = await add_admin(gateway, tenant["tenant_id"], "bob@acme.example")
    admins = (await json_ok(await gateway.get("/admin/v1/tenant/admins", headers=ada)))["admins"]
    everyone = [Recipient(admin_id=a["admin_id"], email=a["email"]) for a in admins]
    ada_only = [r for r in everyone if r.email != "bob@acme.example"]
    for key, recipients in (("n1", everyone), ("n2", everyone), ("n3", ada_only)):
        notice = Notify(kind="seats_low", subject=f"Seats {key}", body="...", recipients=recipients, dedupe_key=key)
        reply = await notifier(notice, MessageMeta(message_type=notice.TYPE, tenant_id=tenant["tenant_id"]))
        unwrap(reply, NotificationAccepted)
    return gateway, ada, bearer(bob["admin_key"])


async def test_each_admin_sees_their_own_notices_with_the_unread_count(two_admins):
    gateway, ada, bob = two_admins
    mine = await json_ok(await gateway.get("/admin/v1/tenant/notifications", headers=ada))
    assert (mine["total_results"], mine["unread"]) == (3, 3)
    assert {n["subject"] for n in mine["notifications"]} == {"Seats n1", "Seats n2", "Seats n3"}
    bobs = await json_ok(await gateway.get("/admin/v1/tenant/notifications", headers=bob))
    assert {n["subject"] for n in bobs["notifications"]} == {"Seats n1", "Seats n2"}


async def test_marking_read_changes_the_unread_count_of_that_admin_only(two_admins):
    gateway, ada, bob = two_admins
    mine = await json_ok(await gateway.get("/admin/v1/tenant/notifications", headers=ada))
    first = mine["notifications"][0]["id"]
    marked = await json_ok(await gateway.post("/admin/v1/tenant/notifications/read", json={"ids": [first]},
                                              headers=ada))
    assert marked["marked"] == 1
    unread = await json_ok(await gateway.get("/admin/v1/tenant/notifications?unread=true", headers=ada))
    assert (unread["unread"], len(unread["notifications"])) == (2, 2) and first not in {
        n["id"] for n in unread["notifications"]}
    assert (await json_ok(await gateway.get("/admin/v1/tenant/notifications", headers=bob)))["unread"] == 2


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/admin/v1/tenant/notifications?unread=maybe", None),
    ("GET", "/admin/v1/tenant/notifications?colour=red", None),
    ("GET", "/admin/v1/tenant/notifications?startIndex=99999999999999999999999", None),  # was a 500
    ("POST", "/admin/v1/tenant/notifications/read", {"ids": []}),
    ("POST", "/admin/v1/tenant/notifications/read", {"id": "x"}),
])
async def test_bad_requests_are_a_400(two_admins, method, path, body):
    gateway, ada, _ = two_admins
    response = await gateway.request(method, path, json=body, headers=ada)
    assert response.status == 400 and (await response.json())["detail"]
