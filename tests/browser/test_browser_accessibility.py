"""Issue "Admin Portal", done-when 2: the portal works by keyboard alone, with the focus always
visible, and reads on a 390 px wide phone without scrolling the page sideways. One system for the
browser tests (conftest.py), a tenant of its own per test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page

from shared.devtools.launcher import System
from tests.browser.clients import entra, new_tenant
from tests.browser.pages import AutoProvisioning, Overview, SignIn, Users
from tests.idp_flows.bodies import entra_user

pytestmark = pytest.mark.integration

PHONE = {"width": 390, "height": 844}
#: Sub-pixel rounding of the layout.
TOLERANCE_PX = 1
MAX_TABS = 40
FOCUS_STYLE = """() => {
  const style = getComputedStyle(document.activeElement);
  return {tag: document.activeElement.tagName, outline: style.outlineStyle, width: style.outlineWidth,
          shadow: style.boxShadow};
}"""


def test_keyboard_alone_signs_in_and_reaches_auto_provisioning(system: System, browse: Callable[..., Page]):
    acme = new_tenant(system, "Keyboard Co")
    page = browse()
    signin = SignIn(page, system.portal_url).open()
    tab_to(page, signin.key)
    page.keyboard.type(acme.admin_key)
    page.keyboard.press("Enter")
    overview = Overview(page, system.portal_url).shown()
    tab_to(page, overview.page.get_by_role("navigation", name="Main").get_by_role("link", name="Auto Provisioning"))
    page.keyboard.press("Enter")
    AutoProvisioning(page, system.portal_url).shown()


def test_auto_provisioning_and_users_fit_a_390px_screen(system: System, browse: Callable[..., Page]):
    acme = new_tenant(system, "Narrow Screens Incorporated of Greater Metropolitan Area")
    idp = entra(acme.base_url, acme.token)
    for name in ("a.very.long.user.name.for.a.narrow.screen@subsidiary.department.example", "kim@narrow.example"):
        idp.create("/Users", entra_user(name))
    overview = SignIn(browse(viewport=PHONE), system.portal_url).open().as_admin(acme.admin_key)
    users = overview.go(Users)
    users.reload_until(lambda: len(users.users()) == 2)  # the table is there (and scrolls on its own)
    for screen in (AutoProvisioning, Users):
        shown = screen(overview.page, system.portal_url).open()
        width = shown.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + TOLERANCE_PX, f"{screen.title}: the page is {width} px wide at 390 px"


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the focus; every element the focus passes must show it."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        assert focus["outline"] != "none" and focus["width"] != "0px", f"focus not visible on {focus}"
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached in {MAX_TABS} presses of Tab")
