"""The admin API as the portal calls it: one method per HTTP call, the API's refusal as ApiError."""

from __future__ import annotations

from typing import Any

import aiohttp

UNREACHABLE = "The admin API cannot be reached right now; try again in a moment."


class ApiError(Exception):
    """The API refused (its status and its own words) or could not be reached (503)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status} {detail}")
        self.status = status
        self.detail = detail


class AdminApi:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")

    async def call(self, key: str, method: str, path: str, *, json: Any = None,
                   params: dict[str, str] | None = None) -> Any:
        """The answer's JSON (None for 204); a 4xx/5xx raises ApiError with the API's detail."""
        headers = {"Authorization": f"Bearer {key}"}
        try:
            async with self._session.request(method, self._base_url + path, json=json, params=params,
                                             headers=headers) as response:
                body = await response.json(content_type=None) if response.status != 204 else None
        except (TimeoutError, aiohttp.ClientError, ValueError):
            raise ApiError(503, UNREACHABLE) from None
        if response.status >= 400:
            raise ApiError(response.status, _detail(body, response.status))
        return body


def _detail(body: Any, status: int) -> str:
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return body["detail"]
    return f"The admin API answered {status}."
