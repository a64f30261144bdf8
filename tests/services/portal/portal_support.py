"""The portal in front of the real gateway app, on the in-memory bus, with the real services behind it.

A person's browser is played by an aiohttp client that keeps cookies and follows redirects; forms are
posted with the CSRF token read from the page, as a browser would send it.
"""

from __future__ import annotations

import asyncio
import re
import time
from html import unescape
from pathlib import Path

from services.portal.app import create_app
from services.portal.settings import PortalSettings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def portal_settings(tmp_path: Path, api_url: str, **overrides) -> PortalSettings:
    return PortalSettings(**({"data_dir": tmp_path, "portal_api_url": api_url} | overrides))


async def start_portal(aiohttp_client, gateway_client, tmp_path: Path, **overrides):
    api_url = str(gateway_client.make_url("")).rstrip("/")
    return await aiohttp_client(create_app(portal_settings(tmp_path, api_url, **overrides)))


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return unescape(found.group(1))


async def page(client, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    return await response.text()


async def submit(client, form_page: str, action: str, fields: dict | list | None = None):
    """Post a form of ``form_page`` as the browser would (its CSRF token included); the answer after redirects."""
    token = csrf_of(await page(client, form_page))
    data = list(fields.items()) if isinstance(fields, dict) else list(fields or [])
    return await client.post(action, data=[*data, ("csrf_token", token)])


async def sign_in(client, key: str):
    return await submit(client, "/signin", "/signin", {"key": key})


def text_of(html: str) -> str:
    """What a person reads: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def page_showing(client, path: str, *expected: str, timeout: float = 2.0) -> str:
    """The page once it shows every expected text: reports reach the sync-status service on their own time."""
    deadline = time.monotonic() + timeout
    while True:
        text = text_of(await page(client, path))
        if all(part in text for part in expected):
            return text
        assert time.monotonic() < deadline, f"{path} never showed {expected}: {text[-600:]}"
        await asyncio.sleep(0.02)  # a poll interval under a deadline
