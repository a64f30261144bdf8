"""The Admin Portal in a real browser (Debian's Chromium through Playwright) in front of the real
system: every service as its own process on the real broker, the portal among them.

One system per test module (starting one takes seconds; each test makes a tenant of its own), one
browser per module, and a fresh browser context (cookies, one person) for every ``browse()``. Any
console error, uncaught page error or JavaScript dialog fails the test that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from shared.devtools.chromium import LAUNCH_ARGS, ChromiumMissing, ensure_chromium
from shared.devtools.launcher import System
from tests.browser.watch import BrowserProblems
from tests.integration.conftest import new_system, show_logs_of

#: Every screen's work crosses the broker at least once; a loaded 2-core machine needs some slack.
EXPECT_TIMEOUT_MS = 15_000
ACTION_TIMEOUT_MS = 30_000
DESKTOP = {"width": 1280, "height": 900}
#: A browser test's time limit (pyproject's is 300 s): the first one may install Chromium with apt-get
#: on a fresh machine, in its setup.
BROWSER_TEST_TIMEOUT = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt-get when missing; no Chromium fails the session (never a skip)."""
    try:
        return ensure_chromium()
    except ChromiumMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """One Chromium per module. Playwright's sync API marks its event loop as the running one while it
    is open, so it is closed with the module, before any asyncio test of the suite runs."""
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=list(LAUNCH_ARGS))
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def system(kafka_bootstrap_servers: str, tmp_path_factory, request) -> Iterator[System]:
    """The whole system with the portal; a module may add environment with ``SYSTEM_ENV = {...}``."""
    extra_env = getattr(request.module, "SYSTEM_ENV", {})
    system = new_system(kafka_bootstrap_servers, tmp_path_factory.mktemp("browser-system"), portal=True,
                        **extra_env)
    try:
        system.start()
        yield system
    finally:
        system.stop()
        show_logs_of(system)


@pytest.fixture
def problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """What the browser reported fails the test itself (a late report still fails it at teardown)."""
    result = yield
    if isinstance(problems := getattr(item, "funcargs", {}).get("problems"), BrowserProblems):
        problems.check()
    return result


@pytest.fixture
def browse(browser: Browser, problems: BrowserProblems) -> Iterator[Callable[..., Page]]:
    """``browse(viewport=...)``: a new person's browser tab (own cookies), watched for errors."""
    contexts: list[BrowserContext] = []

    def open_tab(viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(viewport=viewport or DESKTOP)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield open_tab
    for context in contexts:
        context.close()
    problems.check()
