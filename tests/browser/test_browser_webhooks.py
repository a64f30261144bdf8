"""Issue 23, the Webhooks screen in a real browser on the real system (the webhooks service among the
processes): an admin adds an endpoint, copies its signing secret from the dialog that shows it once,
and disables the endpoint. ``SCIMFLOW_SCREENSHOTS=1`` saves the screen to docs/screenshots/webhooks.png."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from contracts.events.v1 import USER_CREATED
from shared.devtools.launcher import System
from tests.browser.clients import new_tenant
from tests.browser.pages import SignIn, Webhooks

pytestmark = pytest.mark.integration

URL = "https://hooks.acme.example/scimflow"


def test_an_endpoint_is_added_its_secret_shown_once_and_it_is_disabled(system: System, browse: Callable[..., Page]):
    acme = new_tenant(system, "Webhook Co")
    webhooks = SignIn(browse(), system.portal_url).open().as_admin(acme.admin_key).go(Webhooks)
    webhooks.says("No endpoint yet")
    secret = webhooks.add_endpoint(URL, "Our HR system", (USER_CREATED,))
    assert secret.startswith("whsec_")
    row = webhooks.endpoints()[URL]
    assert (row["Event types"], row["Status"]) == (USER_CREATED, "Enabled")
    assert secret.startswith(row["Secret"].rstrip("…"))
    webhooks.screenshot()
    expect(webhooks.reload().secret_dialog).to_have_count(0)  # shown once
    assert secret not in webhooks.page.content()

    endpoint = webhooks.open_endpoint(URL).disable()
    endpoint.says("Endpoint disabled")
    assert endpoint.facts()["Status"].startswith("Disabled")
    assert endpoint.back_to_list().endpoints()[URL]["Status"].startswith("Disabled")
