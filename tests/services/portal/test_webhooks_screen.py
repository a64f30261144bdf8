"""Webhooks (issue 23): endpoints listed with their types, status and secret prefix; a new one's secret
shown once; enable / disable, delete once confirmed, the deliveries (failed only too) and "Replay since",
through the real gateway to the webhooks service's stand-in (tests/services/gateway/webhooks_support.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from contracts.events.v1 import EVENT_TYPES, USER_CREATED, USER_DELETED, cloud_event
from contracts.webhooks.v1 import CreateEndpoint, DeliveryAttempt, ReplayEvents
from tests.services.gateway.admin_support import json_ok
from tests.services.gateway.webhooks_support import DISABLED_BY_ADMIN, FakeWebhooks
from tests.services.portal.portal_support import page, submit, text_of

URL = "https://hooks.acme.example/scim"
SECRET = re.compile(r'id="new-webhook-secret" type="text" readonly value="(whsec_[^"]+)"')


@pytest.fixture
async def hooks(admin, webhooks: FakeWebhooks):
    """The admin's portal, with the webhooks service answering."""
    return admin


async def add(hooks, url: str = URL, *event_types: str, description: str = "HR system"):
    fields = [("url", url), ("description", description), *(("event_types", kind) for kind in event_types)]
    return await submit(hooks, "/webhooks", "/webhooks", fields)


async def added(hooks, webhooks: FakeWebhooks, *event_types: str) -> str:
    """A new endpoint's page path."""
    await add(hooks, URL, *event_types)
    ((_, endpoint_id),) = webhooks.endpoints
    return f"/webhooks/{endpoint_id}"


async def test_the_screen_is_in_the_navigation_and_offers_every_known_event_type(hooks):
    html = await page(hooks, "/webhooks")
    assert '<a href="/webhooks" aria-current="page">Webhooks</a>' in html
    assert "No endpoint yet" in text_of(html)
    assert all(f'<input type="checkbox" name="event_types" value="{kind}">' in html for kind in EVENT_TYPES)


async def test_a_new_endpoint_shows_its_secret_once_then_its_row(hooks, webhooks):
    html = await (await add(hooks, URL, USER_CREATED, USER_DELETED)).text()
    secret = SECRET.search(html).group(1)
    assert "you will not see it again" in html and 'data-copy="new-webhook-secret"' in html
    text = text_of(await page(hooks, "/webhooks"))
    assert secret not in text  # a reload no longer shows it
    assert f"{URL} HR system {USER_CREATED}, {USER_DELETED} Enabled No {secret[:10]}…" in text
    asked = CreateEndpoint(url=URL, description="HR system", event_types=[USER_CREATED, USER_DELETED])
    assert webhooks.asked(CreateEndpoint) == [asked]


async def test_none_ticked_is_every_event_type(hooks):
    await add(hooks)
    assert "All events Enabled" in text_of(await page(hooks, "/webhooks"))


async def test_a_refused_url_shows_the_reason_next_to_the_field_and_keeps_what_was_typed(hooks):
    html = await (await add(hooks, "http://hooks.acme.example", USER_CREATED)).text()
    assert "There is a problem" in text_of(html) and 'id="url-error"' in html
    assert "url: the URL must start with https://" in text_of(html)
    assert 'value="http://hooks.acme.example"' in html and f'value="{USER_CREATED}" checked' in html


async def test_an_endpoint_is_disabled_with_the_reason_and_enabled_again(hooks, webhooks):
    path = await added(hooks, webhooks)
    text = text_of(await (await submit(hooks, path, f"{path}/enabled")).text())
    assert "Endpoint disabled" in text and f"Status Disabled {DISABLED_BY_ADMIN}" in text
    assert f"Disabled {DISABLED_BY_ADMIN}" in text_of(await page(hooks, "/webhooks"))
    text = text_of(await (await submit(hooks, path, f"{path}/enabled", {"enabled": "on"})).text())
    assert "Endpoint enabled." in text and "Status Enabled" in text


async def test_a_failing_endpoint_shows_since_when(hooks, webhooks):
    path = await added(hooks, webhooks)
    key, endpoint = next(iter(webhooks.endpoints.items()))
    since = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    webhooks.endpoints[key] = endpoint.model_copy(update={"failing_since": since, "enabled": False,
                                                          "disabled_reason": "failing for 3 days"})
    assert "Disabled failing for 3 days 2026-12-01 08:30 UTC" in text_of(await page(hooks, "/webhooks"))
    assert "Failing since 2026-12-01 08:30 UTC" in text_of(await page(hooks, path))


async def test_deleting_needs_the_box_ticked(hooks, webhooks):
    path = await added(hooks, webhooks)
    assert "Tick the box to confirm" in text_of(await (await submit(hooks, path, f"{path}/delete")).text())
    assert webhooks.endpoints
    text = text_of(await (await submit(hooks, path, f"{path}/delete", {"confirm_delete": "on"})).text())
    assert "Endpoint deleted." in text and "No endpoint yet" in text and not webhooks.endpoints


async def test_deliveries_show_newest_first_and_the_failed_ones_alone(hooks, webhooks):
    path = await added(hooks, webhooks)
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    webhooks.add_attempts(path.rsplit("/", 1)[1],
                          attempt("e2", 2, at + timedelta(minutes=5), None, "connection refused"),
                          attempt("e1", 1, at, 204))
    text = text_of(await page(hooks, path))
    assert (f"2026-12-07 10:05 UTC {USER_CREATED} 2 No answer 40 ms connection refused "
            f"2026-12-07 10:00 UTC {USER_CREATED} 1 204 40 ms") in text
    failed = text_of(await page(hooks, f"{path}?outcome=failed"))
    assert "connection refused" in failed and " 204 " not in failed


def attempt(event_id: str, number: int, at: datetime, status: int | None, error: str | None = None):
    return DeliveryAttempt(event_id=event_id, event_type=USER_CREATED, attempt=number, time=at, status_code=status,
                           latency_ms=40, succeeded=status is not None and status < 300, error=error)


async def test_replay_since_a_utc_moment_says_how_many_were_queued(hooks, webhooks):
    path = await added(hooks, webhooks)
    tenant_id = next(iter(webhooks.endpoints))[0]
    webhooks.events[tenant_id] = [cloud_event(USER_CREATED, event_id=f"e{n}", source="scimflow/user_store",
                                              subject="u1", tenant_id=tenant_id, data={},
                                              time=f"2026-12-0{n + 1}T12:00:00+00:00") for n in range(3)]
    text = text_of(await (await submit(hooks, path, f"{path}/replay", {"since": "2026-12-02T09:30"})).text())
    assert "2 event(s) queued to be delivered again." in text
    assert [replay.since for replay in webhooks.asked(ReplayEvents)] == [datetime(2026, 12, 2, 9, 30, tzinfo=UTC)]


async def test_replay_without_a_moment_is_refused_in_words(hooks, webhooks):
    path = await added(hooks, webhooks)
    html = await (await submit(hooks, path, f"{path}/replay", {"since": ""})).text()
    assert "Enter the date and time to replay events from." in text_of(html) and 'id="since-error"' in html
    assert webhooks.asked(ReplayEvents) == []


async def test_an_unknown_endpoint_is_a_not_found_page(hooks):
    response = await hooks.get("/webhooks/ep_missing")
    assert response.status == 404 and "No webhook endpoint" in text_of(await response.text())


async def test_a_setup_links_session_has_no_webhooks(portal, gw, acme, webhooks):
    """The IT admin a setup link lets in configures the IdP, never where the tenant's users are sent."""
    key = {"Authorization": f"Bearer {acme['admin_key']}"}
    link = await json_ok(await gw.post("/admin/v1/tenant/setup-link", json={}, headers=key), 201)
    response = await submit(portal, "/setup", "/setup", {"setup_key": link["setup_key"]})
    assert str(response.url).endswith("/provisioning") and 'href="/webhooks"' not in await response.text()
    refused = await portal.get("/webhooks")
    assert refused.status == 403 and "A setup link opens the IdP setup screen only" in text_of(await refused.text())
    assert webhooks.received == []


async def test_the_deliveries_pager_keeps_the_failed_only_filter(hooks, webhooks):
    path = await added(hooks, webhooks)
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    webhooks.add_attempts(path.rsplit("/", 1)[1], *(attempt(f"e{n}", 1, at, 500, "HTTP 500") for n in range(51)))
    html = await page(hooks, f"{path}?outcome=failed")
    assert "Page 1 of 2 (51 in all)" in text_of(html) and f'href="{path}?outcome=failed&amp;page=2"' in html
    assert text_of(await page(hooks, f"{path}?outcome=failed&page=2")).count("HTTP 500") == 1
