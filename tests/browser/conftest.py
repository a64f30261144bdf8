"""The Admin Portal in a real browser (Debian's Chromium through Playwright) in front of the real
system: every service as its own process on the real broker, the portal among them.

Starting a system or Chromium takes seconds, so the browser tests in a row share one Chromium, and one
system for each environment in turn (a module may add some with ``SYSTEM_ENV``; the modules of one
environment run next to each other). Each test makes a tenant of its own, and gets a fresh browser context
(cookies, one person) for every ``browse()``. Any console error, uncaught page error or JavaScript dialog
fails the test that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from shared.devtools.broker_choice import BrokerAccess
from shared.devtools.chromium import LAUNCH_ARGS, ChromiumMissing, ensure_chromium
from shared.devtools.launcher import System
from tests.browser.watch import BrowserProblems
from tests.integration.conftest import SharedSystem, new_system, show_logs_of

HERE = Path(__file__).parent

#: Every screen's work crosses the broker at least once; a loaded 2-core machine needs some slack.
EXPECT_TIMEOUT_MS = 15_000
ACTION_TIMEOUT_MS = 30_000
DESKTOP = {"width": 1280, "height": 900}
#: A browser test's time limit (pyproject's is 300 s): the first one may install Chromium with apt-get
#: on a fresh machine, in its setup.
BROWSER_TEST_TIMEOUT = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules of one ``SYSTEM_ENV`` next to each other (they share a system; otherwise in file order), a
    module's own environment first: the guide walk's (it finds its tenant "acme" by name, so it goes before
    the others make theirs, on the broker's first system); the browser tests' own time limit."""
    places = [index for index, item in enumerate(items) if HERE in item.path.parents]
    ordered = sorted((items[index] for index in places),
                     key=lambda item: (not system_env(item), sorted(system_env(item).items())))
    for index, item in zip(places, ordered, strict=True):
        items[index] = item
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))


def system_env(item: pytest.Item) -> dict[str, str]:
    return getattr(getattr(item, "module", None), "SYSTEM_ENV", {})


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt-get when missing; no Chromium fails the session (never a skip)."""
    try:
        return ensure_chromium()
    except ChromiumMissing as missing:
        pytest.fail(str(missing), pytrace=False)


class InARow:
    """What the browser tests in a row share: one Chromium, and one running system at a time, for one
    environment. Both end when the next test is not a browser test: Playwright's sync API marks its event
    loop as the running one while it is open (no asyncio test may run meanwhile), and two systems never run
    at once on one broker."""

    def __init__(self, chromium: Path, new: Callable[..., System]) -> None:
        self._chromium, self._new = chromium, new
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._shared, self._env = SharedSystem(new), {}  # the keeper of a system with this environment added

    def browser(self) -> Browser:
        if self._browser is None:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=str(self._chromium),
                                                             args=list(LAUNCH_ARGS))
        return self._browser

    def system(self, env: dict[str, str]) -> System:
        """The running system with ``env`` added; the one before is stopped first if its environment was
        another or a service of it died (the next test gets a whole system, not that one's wreck)."""
        running = self._shared.system
        if env != self._env or (running is not None and running.dead()):
            self.stop_system()
            self._shared, self._env = SharedSystem(lambda: self._new(**env)), env
        return self._shared.running()

    def stop_system(self) -> None:
        if (system := self._shared.system) is not None:
            self._shared.stop()
            show_logs_of(system)  # in the report of the test it ended with, should that one fail

    def close(self) -> None:
        self.stop_system()
        if self._playwright is not None:
            self._browser.close()
            self._playwright.stop()
            self._playwright = self._browser = None


IN_A_ROW = pytest.StashKey[InARow]()


@pytest.fixture(scope="session")
def in_a_row(chromium: Path, kafka_broker: BrokerAccess, tmp_path_factory, pytestconfig) -> Iterator[InARow]:
    def new(**extra_env: str) -> System:
        return new_system(kafka_broker, tmp_path_factory.mktemp("browser-system"), portal=True, **extra_env)

    row = InARow(chromium, new)
    pytestconfig.stash[IN_A_ROW] = row  # for the hook that ends it after the last browser test in a row
    yield row
    row.close()


@pytest.fixture
def browser(in_a_row: InARow) -> Browser:
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    return in_a_row.browser()


@pytest.fixture
def system(in_a_row: InARow, request: pytest.FixtureRequest) -> System:
    """The whole system with the portal; a module may add environment with ``SYSTEM_ENV = {...}``."""
    return in_a_row.system(system_env(request.node))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After the test's fixtures are gone: end Chromium and the system unless the next test is a browser
    test too."""
    try:
        return (yield)
    finally:
        if (row := item.config.stash.get(IN_A_ROW, None)) and not (nextitem and HERE in nextitem.path.parents):
            row.close()


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
