"""Issue "Admin Portal", done-when 2, in a real browser on the real system: markup from an IdP or typed
by a person shows as text (no script runs: a dialog would fail the test), a form posted without its
CSRF token is refused and changes nothing, and wrong keys are refused next to the field and slow the
next try. One system for the browser tests (conftest.py), a tenant of its own per test."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from shared.devtools.launcher import System
from shared.operator_key import operator_key
from tests.browser.clients import entra, new_tenant, okta
from tests.browser.pages import (
    AutoProvisioning,
    Overview,
    SignIn,
    SubscriptionSets,
    Users,
)
from tests.browser.watch import BrowserProblems
from tests.idp_flows.bodies import entra_user

pytestmark = pytest.mark.integration

SCRIPT_USER = "<script>alert(1)</script>@x.example"
MARKUP_TENANT = "Acme <img src=x onerror=alert(2)> & <b>Co</b>"
MARKUP_DESCRIPTION = "<img src=x onerror=alert(3)>"


def test_markup_in_names_and_descriptions_shows_as_text(system: System, browse: Callable[..., Page]):
    operator = SignIn(browse(), system.portal_url).open().as_operator(operator_key(None, system.data_dir))
    created = operator.create_tenant(MARKUP_TENANT)
    tenant = operator.reload().open_tenant(MARKUP_TENANT)  # the table's link is named by the text itself
    expect(tenant.heading).to_have_text(MARKUP_TENANT)
    tenant.sell("Sales", 2, date.today() + timedelta(days=365))
    admin_key = tenant.add_admin("Ada Admin", "ada@markup.example")

    overview = SignIn(browse(), system.portal_url).open().as_admin(admin_key)
    expect(overview.page.get_by_role("banner")).to_contain_text(MARKUP_TENANT)
    form = overview.go(SubscriptionSets).new_set().fill("Field Sales", ["Sales"], description=MARKUP_DESCRIPTION)
    assert form.create().sets()["Field Sales"]["Description"] == MARKUP_DESCRIPTION

    # With a set, a user may come without products (they wait for their group).
    entra(created.base_url, created.token).create("/Users", entra_user(SCRIPT_USER))
    users = overview.go(Users)
    users.reload_until(lambda: users.users().get(SCRIPT_USER, {}).get("Sync status") == "synced")
    expect(users.page.get_by_role("link", name=SCRIPT_USER, exact=True)).to_be_visible()
    expect(users.show_history(SCRIPT_USER)).to_have_text(f"History of {SCRIPT_USER}")  # swapped in by htmx
    users.page.get_by_role("link", name=SCRIPT_USER, exact=True).click()
    expect(users.heading).to_have_text(SCRIPT_USER)


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
        system: System, browse: Callable[..., Page], problems: BrowserProblems):
    acme = new_tenant(system, "Forgery Co")
    provisioning = SignIn(browse(), system.portal_url).open().as_admin(acme.admin_key).go(AutoProvisioning)
    before = provisioning.token_prefix()
    generate = provisioning.page.get_by_role("button", name="Generate a new API token")
    generate.evaluate("button => button.form.elements.namedItem('csrf_token').remove()")
    provisioning.page.get_by_role("checkbox", name=re.compile("the current token stops working")).check()
    with problems.expecting(r"status of 403"):
        generate.click()
        expect(provisioning.heading).to_have_text("Not allowed")
        provisioning.says("did not come from this portal")
    assert provisioning.open().token_prefix() == before
    expect(provisioning.page.get_by_role("dialog")).to_have_count(0)
    assert okta(acme.base_url, acme.token).call("GET", "/Users").status == 200  # the token was not replaced


def test_wrong_keys_are_refused_next_to_the_field_and_three_slow_the_next_try(
        system: System, browse: Callable[..., Page], problems: BrowserProblems):
    acme = new_tenant(system, "Wrong Keys Co")
    signin = SignIn(browse(), system.portal_url).open()
    signin.try_key("sca_not_a_key").refused("That key is not valid")
    signin.try_key("sca_still_not_a_key").refused("That key is not valid")
    signin.try_key("not even the shape of a key").refused("That key is not valid")
    with problems.expecting(r"status of 429"):  # the throttled try answers 429 Too Many Requests
        signin.try_key(acme.admin_key).refused(re.compile(r"Too many wrong keys\. Wait \d+ seconds"))
    wait = int(re.search(r"Wait (\d+) seconds", signin.problem.inner_text()).group(1))
    signin.page.wait_for_timeout(wait * 1000 + 200)  # the throttle's own wait is what is tested here
    assert isinstance(signin.as_admin(acme.admin_key), Overview)  # a right key, in time, gets in (and clears)
