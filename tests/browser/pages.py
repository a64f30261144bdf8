"""Page objects of the Admin Portal: one class per screen, holding what a person reads and does there.

Everything is found the way a person finds it: by role and accessible name, by a field's label, by
visible text. No CSS paths: a restyled page must not break a test, a page a screen reader cannot
use should.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Self, TypeVar

from playwright.sync_api import Locator, Page, expect

from shared.devtools import REPO_ROOT
from tests.integration.conftest import wait_until

#: ``SCIMFLOW_SCREENSHOTS=1`` makes the walk save each screen to docs/screenshots (``make test`` does not).
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"

ScreenT = TypeVar("ScreenT", bound="Screen")
#: How long a change may take to travel the broker and show on a reloaded screen.
SETTLE_SECONDS = 30.0


def screenshots_wanted() -> bool:
    return os.environ.get("SCIMFLOW_SCREENSHOTS") == "1"


def rows_of(table: Locator) -> list[dict[str, str]]:
    """A data table as a person reads it: one dict per body row, keyed by the column headers (none when
    the screen shows no table: "No user matches.")."""
    if not table.count():
        return []
    grid: list[list[str]] = table.evaluate(
        "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText.replace(/\\s+/g, ' ').trim()))")
    headers, *rows = grid
    return [dict(zip(headers, row, strict=True)) for row in rows]


def facts_of(region: Locator) -> dict[str, str]:
    """A description list as a person reads it: each term and what it says."""
    terms = [term.inner_text().strip() for term in region.get_by_role("term").all()]
    values = [value.inner_text().strip() for value in region.get_by_role("definition").all()]
    return dict(zip(terms, values, strict=True))


class Screen:
    """What every screen has: its heading, the main navigation, the one-time line, the error summary."""

    path: ClassVar[str] = "/"
    title: str = ""  # the heading (level 1) that says this screen is shown
    #: File name (no extension) of the screenshot in docs/screenshots.
    shot_name: ClassVar[str] = ""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url.rstrip("/")

    def open(self) -> Self:
        self.page.goto(self.base_url + self.path)
        return self.shown()

    def shown(self) -> Self:
        expect(self.heading).to_have_text(self.title)
        return self

    def reload(self) -> Self:
        self.page.reload()
        return self.shown()

    def reload_until(self, shown: Callable[[], object], timeout: float = SETTLE_SECONDS) -> None:
        """Reload until ``shown()`` holds: what the services do reaches the screens through the broker."""
        def reloaded_and_shown() -> object:
            self.reload()
            return shown()

        if not shown():
            wait_until(reloaded_and_shown, timeout=timeout, interval=0.5)

    def go(self, screen: type[ScreenT]) -> ScreenT:
        """Follow the main navigation to ``screen``."""
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name=screen.title).click()
        return screen(self.page, self.base_url).shown()

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    @property
    def main(self) -> Locator:
        return self.page.get_by_role("main")

    @property
    def problem(self) -> Locator:
        """GOV.UK's error summary: "There is a problem", each error a link to its field."""
        return self.page.get_by_role("alert").filter(has=self.page.get_by_role("heading", name="There is a problem"))

    def says(self, text: str | re.Pattern[str]) -> None:
        expect(self.main).to_contain_text(text)

    def unread(self) -> int:
        """The header's "N unread" link (tenant admins only)."""
        link = self.page.get_by_role("banner").get_by_role("link", name=re.compile(r"^\d+ unread$"))
        return int(link.inner_text().split()[0])

    def sign_out(self) -> SignIn:
        self.page.get_by_role("button", name="Sign out").click()
        return SignIn(self.page, self.base_url).shown()

    def screenshot(self, name: str | None = None) -> None:
        if screenshots_wanted():
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=SCREENSHOTS / f"{name or self.shot_name}.png", full_page=True)


class SignIn(Screen):
    path, title, shot_name = "/signin", "Sign in", "signin"

    @property
    def key(self) -> Locator:
        return self.page.get_by_label("Admin key")

    def try_key(self, key: str) -> SignIn:
        self.key.fill(key)
        self.page.get_by_role("button", name="Sign in", exact=True).click()
        return self

    def as_operator(self, operator_key: str) -> OperatorTenants:
        self.try_key(operator_key)
        return OperatorTenants(self.page, self.base_url).shown()

    def as_admin(self, admin_key: str) -> Overview:
        self.try_key(admin_key)
        return Overview(self.page, self.base_url).shown()

    def refused(self, reason: str | re.Pattern[str]) -> None:
        """The reason in the summary and next to the key field (its description, marked invalid)."""
        expect(self.heading).to_have_text(self.title)
        expect(self.problem).to_contain_text(reason)
        expect(self.key).to_have_attribute("aria-invalid", "true")
        expect(self.key).to_have_accessible_description(re.compile(re.escape(reason) if isinstance(reason, str)
                                                                   else reason.pattern))


@dataclass(frozen=True)
class CreatedTenant:
    tenant_id: str
    base_url: str
    token: str


class OperatorTenants(Screen):
    path, title, shot_name = "/operator/tenants", "Tenants", "operator-tenants"

    def create_tenant(self, name: str, idp: str | None = None) -> CreatedTenant:
        """Fill "Create a tenant"; what the page shows once: the tenant id, SCIM base URL and first token."""
        self.page.get_by_label("Organisation name").fill(name)
        if idp:
            self.page.get_by_label("IdP type (optional)").select_option(label=idp)
        self.page.get_by_role("button", name="Create tenant").click()
        heading = self.page.get_by_role("heading", name=f"Tenant {name} created")
        created = self.page.get_by_role("status").filter(has=heading)
        expect(created).to_contain_text("you will not see it again")
        return CreatedTenant(self.page.get_by_label("Tenant id", exact=True).input_value(),
                             self.page.get_by_label("SCIM base URL", exact=True).input_value(),
                             self.page.get_by_label("First API token", exact=True).input_value())

    @property
    def first_token(self) -> Locator:
        return self.page.get_by_label("First API token", exact=True)

    def tenants(self) -> list[dict[str, str]]:
        return rows_of(self.page.get_by_role("table", name="Tenants"))

    def open_tenant(self, name: str) -> OperatorTenant:
        self.page.get_by_role("table", name="Tenants").get_by_role("link", name=name, exact=True).click()
        return OperatorTenant(self.page, self.base_url, name).shown()


class OperatorTenant(Screen):
    shot_name = "operator-tenant"

    def __init__(self, page: Page, base_url: str, name: str) -> None:
        super().__init__(page, base_url)
        self.title = name

    def sell(self, product: str, seats: int, expires_on: date) -> None:
        self.page.get_by_label("Product name").fill(product)
        self.page.get_by_label("Seats", exact=True).fill(str(seats))
        self.page.get_by_label("Expires on", exact=True).fill(expires_on.isoformat())
        self.page.get_by_role("button", name="Sell seats").click()
        self.shown()

    def set_seats(self, product: str, seats: int) -> None:
        self.page.get_by_label(f"Seats of {product}", exact=True).fill(str(seats))
        self.page.get_by_role("button", name=f"Save {product}", exact=True).click()
        self.shown()

    def products(self) -> dict[str, dict[str, str]]:
        return {row["Product"]: row for row in rows_of(self.page.get_by_role("table", name="Seats per product"))}

    def add_admin(self, name: str, email: str) -> str:
        """Their admin key, read from the page that shows it once."""
        admins = self.page.get_by_role("region", name="Admins")
        admins.get_by_label("Name", exact=True).fill(name)
        admins.get_by_label("Email", exact=True).fill(email)
        admins.get_by_role("button", name="Add admin").click()
        shown_once = self.page.get_by_role("region", name="Admins").get_by_role("status")
        expect(shown_once).to_contain_text(f"Copy {name}'s admin key now: you will not see it again")
        return self.page.get_by_label("Admin key", exact=True).input_value()


class Overview(Screen):
    path, title, shot_name = "/", "Overview", "overview"

    def products(self) -> dict[str, dict[str, str]]:
        return {row["Product"]: row for row in rows_of(self.page.get_by_role("table", name="Seats per product"))}

    def sync_summary(self) -> dict[str, str]:
        return facts_of(self.page.get_by_role("region", name="Sync summary"))


class AutoProvisioning(Screen):
    path, title, shot_name = "/provisioning", "Auto Provisioning", "auto-provisioning"

    @property
    def base_url_shown(self) -> str:
        return self.page.get_by_label("Base URL", exact=True).input_value()

    def generate_token(self, expires: str = "90 days", *, replace: bool = False) -> AutoProvisioning:
        token = self.page.get_by_role("region", name="2. Generate an API token")
        token.get_by_role("radio", name=expires).check()
        if replace:
            token.get_by_role("checkbox", name=re.compile("the current token stops working")).check()
        token.get_by_role("button", name=re.compile("^Generate")).click()
        return self.shown()

    def new_token(self) -> str:
        """Read the token from the dialog that shows it once, then close the dialog."""
        dialog = self.page.get_by_role("dialog", name="Your new API token")
        expect(dialog).to_contain_text("you will not see it again")
        token = dialog.get_by_label("API token", exact=True).input_value()
        dialog.get_by_role("button", name="I have copied it").click()
        expect(dialog).to_be_hidden()
        return token

    def token_prefix(self) -> str:
        facts = self.page.get_by_role("region", name="2. Generate an API token")
        return facts.get_by_role("definition").first.inner_text().rstrip("…")

    def last_scim_call(self) -> str:
        """"<when>: <method> <path> answered <status>", or the hint shown before any call."""
        token = self.page.get_by_role("region", name="2. Generate an API token")
        return " ".join(token.get_by_text(re.compile(r"answered\s+\d{3}|No SCIM call yet")).inner_text().split())

    @property
    def connection(self) -> Locator:
        return self.page.get_by_role("region", name="Connection")

    def manage_users(self) -> str:
        """"On" or "Off", as the toggle says."""
        line = self.connection.get_by_text(re.compile(r"^Manage Users through IdP:\s*(On|Off)$"))
        return line.inner_text().rsplit(":", 1)[1].strip()

    def reset_sso(self) -> None:
        self.connection.get_by_role("button", name="Reset All (SSO)").click()
        self.shown()

    def sso_refusal(self) -> str:
        """The reason a change of SSO was refused, as shown next to the switch: below its state line,
        above its button."""
        state = self.connection.get_by_text(re.compile(r"^Single Sign On:\s*(On|Reset)$"))
        reason = self.connection.get_by_text(re.compile(r"^Error:\s*\S"))
        button = self.connection.get_by_role("button", name=re.compile(r"SSO"))
        tops = [box["y"] for box in (state.bounding_box(), reason.bounding_box(), button.bounding_box()) if box]
        assert len(tops) == 3 and tops == sorted(tops), "the reason is not next to the SSO switch"
        return reason.inner_text().removeprefix("Error:").strip()


class SubscriptionSets(Screen):
    path, title, shot_name = "/sets", "Subscription Sets", "subscription-sets"

    def new_set(self) -> SetForm:
        self.main.get_by_role("link", name="Create Subscription Set").click()
        return SetForm(self.page, self.base_url).shown()

    def sets(self) -> dict[str, dict[str, str]]:
        return {row["Name"]: row for row in rows_of(self.page.get_by_role("table", name="Subscription sets"))}


class SetForm(Screen):
    path, title, shot_name = "/sets/new", "Create Subscription Set", "subscription-set-form"

    def fill(self, name: str, products: list[str], description: str = "", admin_role: bool = False) -> SetForm:
        self.page.get_by_label("Subscription Set Name").fill(name)
        self.page.get_by_label("Description (optional)").fill(description)
        for product in products:
            self.page.get_by_role("group", name="Products").get_by_role(
                "checkbox", name=re.compile(rf"^{re.escape(product)}\b")).check()
        self.page.get_by_role("checkbox", name=re.compile("Give Admin role")).set_checked(admin_role)
        return self

    def create(self) -> SubscriptionSets:
        self.page.get_by_role("button", name="Create", exact=True).click()
        return SubscriptionSets(self.page, self.base_url).shown()


class Users(Screen):
    path, title, shot_name = "/users", "Users", "users"

    def users(self) -> dict[str, dict[str, str]]:
        return {row["Username"]: row for row in rows_of(self.page.get_by_role("table", name="Provisioned users"))}

    def find(self, text: str) -> Users:
        self.page.get_by_label("Username or email").fill(text)
        self.page.get_by_role("button", name="Find users").click()
        return self.shown()

    def show_history(self, user_name: str) -> Locator:
        """Open a user's history panel (htmx swaps it into the page); the panel's heading."""
        self.page.get_by_role("link", name=f"History of {user_name}", exact=True).click()
        heading = self.page.get_by_role("heading", name=f"History of {user_name}", exact=True)
        expect(heading).to_be_visible()
        return heading


class Notifications(Screen):
    path, title, shot_name = "/notifications", "Notifications", "notifications"

    def unread_here(self) -> int:
        line = self.main.get_by_text(re.compile(r"^\d+ unread\."))
        return int(line.inner_text().split()[0])

    def subjects(self) -> list[str]:
        notices = self.page.get_by_role("group", name="Notifications to mark read").get_by_role("listitem")
        return [notice.inner_text() for notice in notices.all()]

    def mark_all_read(self) -> Notifications:
        group = self.page.get_by_role("group", name="Notifications to mark read")
        for box in group.get_by_role("checkbox").all():
            box.check()
        self.page.get_by_role("button", name="Mark selected as read").click()
        return self.shown()


class Webhooks(Screen):
    path, title, shot_name = "/webhooks", "Webhooks", "webhooks"

    def add_endpoint(self, url: str, description: str = "", event_types: tuple[str, ...] = ()) -> str:
        """Fill "Add an endpoint"; the signing secret, read from the dialog that shows it once (then closed)."""
        form = self.page.get_by_role("region", name="Add an endpoint")
        form.get_by_label("Endpoint URL").fill(url)
        form.get_by_label("Description (optional)").fill(description)
        for kind in event_types:
            form.get_by_role("group", name="Event types").get_by_role("checkbox", name=kind, exact=True).check()
        form.get_by_role("button", name="Add endpoint").click()
        dialog = self.shown().secret_dialog
        expect(dialog).to_contain_text("you will not see it again")
        secret = dialog.get_by_label("Signing secret", exact=True).input_value()
        dialog.get_by_role("button", name="I have copied it").click()
        expect(dialog).to_be_hidden()
        return secret

    @property
    def secret_dialog(self) -> Locator:
        return self.page.get_by_role("dialog", name="Your endpoint's signing secret")

    def endpoints(self) -> dict[str, dict[str, str]]:
        return {row["URL"]: row for row in rows_of(self.page.get_by_role("table", name="Webhook endpoints"))}

    def open_endpoint(self, url: str) -> WebhookEndpoint:
        self.page.get_by_role("table", name="Webhook endpoints").get_by_role("link", name=url, exact=True).click()
        return WebhookEndpoint(self.page, self.base_url, url).shown()


class WebhookEndpoint(Screen):
    title = "Webhook endpoint"

    def __init__(self, page: Page, base_url: str, url: str) -> None:
        super().__init__(page, base_url)
        self.url = url

    def facts(self) -> dict[str, str]:
        """URL's card: Description, Event types, Status, Failing since, Secret, Created, Waiting."""
        return facts_of(self.page.get_by_role("region", name=self.url, exact=True))

    def disable(self) -> WebhookEndpoint:
        self.page.get_by_role("button", name="Disable endpoint").click()
        return self.shown()

    def back_to_list(self) -> Webhooks:
        self.main.get_by_role("link", name="All webhook endpoints").click()
        return Webhooks(self.page, self.base_url).shown()
