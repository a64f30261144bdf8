"""What a person would notice going wrong in the browser: console errors, uncaught script errors and
JavaScript dialogs (an ``alert()`` that fires is script someone injected)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import ConsoleMessage, Dialog, Error, Page


class BrowserProblems:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self._expected: list[re.Pattern[str]] = []

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        page.on("dialog", self._dialog)

    @contextmanager
    def expecting(self, pattern: str) -> Iterator[None]:
        """Inside the block, one console error matching ``pattern`` is what the test provokes; it must happen."""
        expected = re.compile(pattern)
        self._expected.append(expected)
        try:
            yield
        finally:
            still_there = expected in self._expected
            if still_there:
                self._expected.remove(expected)
        assert not still_there, f"the browser reported no console error matching {pattern!r}"

    def check(self) -> None:
        """Fail with what was seen (each problem is reported once)."""
        seen, self.seen = self.seen, []
        assert not seen, "the browser reported problems:\n" + "\n".join(seen)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = f"console error on {message.page.url if message.page else '?'}: {message.text}"
        for expected in self._expected:
            if expected.search(message.text):
                self._expected.remove(expected)
                return
        self.seen.append(text)

    def _page_error(self, error: Error) -> None:
        self.seen.append(f"uncaught page error: {error.message}")

    def _dialog(self, dialog: Dialog) -> None:
        self.seen.append(f"a {dialog.type} dialog fired: {dialog.message!r}")
        dialog.dismiss()
