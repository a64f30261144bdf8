"""Issue "Admin Portal", done-when 1: the guide walked end to end in a real browser, on the real system.

One story, one test: the operator creates tenant "acme", sells it 3 Sales seats and adds an admin; the
admin signs in, replaces the first token with a 90-day one; Okta creates 3 users asking for Sales;
the admin creates subscription set "Sales Team"; Entra creates a 4th user (no product of its own:
with a set, users wait for their group) and pushes the group with all 4 as members. The 3 Okta users
hold their Sales seat already (a product counts once, own or the set's), the 4th finds none and
fails with the reason. The seats running out made a notice, which the admin reads; once the operator
raises Sales to 5 seats the 4th is seated. Replacing the token revokes the old one; turning SSO off
while users are managed through the IdP is refused, with the reason next to the switch.

``SCIMFLOW_SCREENSHOTS=1`` also saves each screen to docs/screenshots/ (``make test`` leaves them be).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from shared.devtools.launcher import System
from shared.operator_key import operator_key
from tests.browser.clients import entra, okta
from tests.browser.pages import (
    AutoProvisioning,
    Notifications,
    Overview,
    SignIn,
    SubscriptionSets,
    Users,
)
from tests.idp_flows.bodies import (
    SCIMFLOW,
    entra_group,
    entra_user,
    okta_user,
    scimflow_extension,
)

pytestmark = pytest.mark.integration

#: Seat notices are looked for every second (default: 5 minutes), so "out of seats" arrives in the walk.
SYSTEM_ENV = {"SCIMFLOW_SEAT_NOTICE_INTERVAL_SECONDS": "1"}
OKTA_USERS = ["jane.doe@acme.example", "john.roe@acme.example", "mia.wong@acme.example"]
ENTRA_USER = "li.chen@acme.example"
NO_SEAT = "product 'Sales' has no free seat (3 of 3 in use)"


def test_the_guide_walk_from_a_new_tenant_to_a_seated_group(system: System, browse: Callable[..., Page]):
    # The operator: tenant, seats, an admin. Each secret is shown once and read from the page.
    operator = SignIn(browse(), system.portal_url).open()
    operator.screenshot()
    tenants = operator.as_operator(operator_key(None, system.data_dir))
    acme = tenants.create_tenant("acme", idp="Okta")
    assert acme.base_url.startswith(f"{system.base_url}/scim/v2") and acme.token.startswith("scf_")
    tenants.screenshot()
    expect(tenants.reload().first_token).to_have_count(0)  # shown once
    tenant = tenants.open_tenant("acme")
    tenant.sell("Sales", 3, date.today() + timedelta(days=365))
    tenant.says("Sales: seats sold.")
    assert tenant.products()["Sales"]["Used"] == "0 of 3"
    admin_key = tenant.add_admin("Ada Admin", "ada@acme.example")
    assert admin_key.startswith("sca_")
    tenant.screenshot()
    expect(tenant.reload().page.get_by_label("Admin key", exact=True)).to_have_count(0)  # shown once

    # The admin: signs in with that key, replaces the first token (only once confirmed).
    overview = SignIn(browse(), system.portal_url).open().as_admin(admin_key)
    provisioning = overview.go(AutoProvisioning)
    assert provisioning.base_url_shown == acme.base_url
    assert provisioning.manage_users() == "Off"
    provisioning.generate_token("90 days")
    expect(provisioning.problem).to_contain_text('"replace": true to proceed')
    token = provisioning.generate_token("90 days", replace=True).new_token()
    assert token.startswith("scf_") and token not in provisioning.reload().page.content()
    assert okta(acme.base_url, acme.token).call("GET", "/Users").status == 401  # the first one is revoked

    # Okta creates 3 users asking for Sales: managing users turns on, the users are synced.
    idp = okta(acme.base_url, token)
    okta_ids = [idp.create("/Users", okta_user(name, **{SCIMFLOW: scimflow_extension(products=("Sales",))}))["id"]
                for name in OKTA_USERS]
    provisioning.reload_until(lambda: provisioning.manage_users() == "On")
    provisioning.reload_until(lambda: "POST /scim/v2/Users answered 201" in provisioning.last_scim_call())
    provisioning.screenshot()
    users = provisioning.go(Users)
    users.reload_until(lambda: [users.users().get(name, {}).get("Sync status") for name in OKTA_USERS]
                == ["synced"] * 3)

    # The admin makes the subscription set; Entra pushes its group with 4 members, one too many.
    sets = users.go(SubscriptionSets)
    form = sets.new_set()
    form.fill("Sales Team", ["Sales"], description="North American Sales Team")
    form.screenshot()
    sets = form.create()
    sets.says('Subscription set "Sales Team" created.')
    assert sets.sets()["Sales Team"]["Last Synced"] == "UnSynced"
    push = entra(acme.base_url, token)
    fourth = push.create("/Users", entra_user(ENTRA_USER))["id"]
    group = push.create("/Groups", entra_group("Sales Team"))
    push.add_members(group["id"], [*okta_ids, fourth])

    row = sets.reload().sets()["Sales Team"]
    assert row["Last Synced"] not in ("UnSynced", "never") and row["Products"] == "Sales"
    sets.screenshot()
    overview = sets.go(Overview)
    sales = overview.products()["Sales"]
    assert (sales["Used"], sales["Total"], sales["Free"]) == ("3", "3", "0")
    assert "Out of seats" in sales["Warnings"]
    overview.screenshot()
    users = overview.go(Users)
    users.reload_until(lambda: users.users().get(ENTRA_USER, {}).get("Sync status") == "failed")
    refused = users.users()[ENTRA_USER]
    assert NO_SEAT in refused["Reason"] and refused["Platform active"] == "No"
    assert all(users.users()[name]["Set"] == "Sales Team" for name in OKTA_USERS)
    users.screenshot()

    # Running out made a notice (seats are looked at every second here); the admin reads it.
    users.reload_until(lambda: users.unread() >= 1)
    notifications = users.go(Notifications)
    assert any("No Sales seat is left" in notice for notice in notifications.subjects())
    notifications.screenshot()
    notifications.mark_all_read()
    notifications.says("read.")
    assert notifications.unread_here() == 0 and notifications.unread() == 0

    # The operator sells 2 more seats: the waiting member takes one.
    tenant.set_seats("Sales", 5)
    tenant.says("Sales: saved.")
    assert tenant.products()["Sales"]["Used"] == "4 of 5"
    users = notifications.go(Users)
    users.reload_until(lambda: _seated(users.users().get(ENTRA_USER, {})))
    overview = users.go(Overview)
    assert overview.products()["Sales"]["Used"] == "4"

    # Replacing the token: the old one is refused at once.
    provisioning = overview.go(AutoProvisioning)
    newest = provisioning.generate_token("180 days", replace=True).new_token()
    assert okta(acme.base_url, token).call("GET", "/Users").status == 401
    assert okta(acme.base_url, newest).call("GET", "/Users").status == 200

    # SSO cannot be reset while users are managed through the IdP: the reason shows next to the switch.
    provisioning.reset_sso()
    reason = provisioning.sso_refusal()
    assert "Turn off 'Manage users through IdP'" in reason
    expect(provisioning.problem).to_contain_text(reason)
    assert provisioning.manage_users() == "On"


def _seated(row: dict[str, str]) -> bool:
    return row.get("Sync status") == "synced" and row.get("Platform active") == "Yes"
