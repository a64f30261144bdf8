"""The one SCIM client the conformance tests and the IdP flows drive, over any aiohttp client.

``ScimClient`` needs only ``http.request(method, url, **kwargs)`` returning an awaitable response
context: aiohttp's ``TestClient`` (the app on the in-memory bus, base ``/scim/v2``) and
``aiohttp.ClientSession`` (a real running system, base ``http://host:port/scim/v2``) both fit, so
the same flow scripts run against both. Query strings are built here, percent-encoded with ``%20``
as IdPs send them, and passed on already encoded so no layer re-encodes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partialmethod
from typing import Any, NamedTuple
from urllib.parse import quote

import orjson
from yarl import URL

SCIM_JSON = "application/scim+json"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#: RFC 7644 §3.12 Table 9: every scimType a server may send.
SCIM_TYPES = {"invalidFilter", "tooMany", "uniqueness", "mutability", "invalidSyntax", "invalidPath",
              "noTarget", "invalidValue", "invalidVers", "sensitive"}

Params = Mapping[str, object] | None


class ScimResponse(NamedTuple):
    """(status, headers, body): body is the decoded JSON, or None for an empty body."""

    status: int
    headers: Mapping[str, str]
    body: Any

    def expect(self, *statuses: int) -> Any:
        """Assert the status is one of ``statuses`` and any body is ``application/scim+json`` (RFC 7644 §8.1)."""
        assert self.status in statuses, f"expected {statuses}, got {self.status}: {self.body}"
        if self.body is not None:
            assert media_type(self.headers) == SCIM_JSON, self.headers.get("Content-Type")
        return self.body

    def expect_error(self, status: int, scim_type: str | None = None) -> dict:
        """An RFC 7644 §3.12 Error: Error schema, ``status`` as a string, a ``detail``, ``scimType`` if given."""
        body = self.expect(status)
        assert body is not None, f"{status} without an Error body"
        assert body["schemas"] == [ERROR], body
        assert body["status"] == str(status), body
        assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
        if scim_type is not None:
            assert body.get("scimType") == scim_type, body
        if "scimType" in body:
            assert body["scimType"] in SCIM_TYPES, body
        return body

    def expect_list(self) -> dict:
        """A 200 ListResponse with integer paging fields (RFC 7644 §3.4.2; Okta: "integers, not strings")."""
        body = self.expect(200)
        assert body["schemas"] == [LIST_RESPONSE], body
        for field in ("totalResults", "startIndex", "itemsPerPage"):
            assert type(body[field]) is int, (field, body)
        assert isinstance(body["Resources"], list), body
        assert body["itemsPerPage"] == len(body["Resources"]), body
        return body


def media_type(headers: Mapping[str, str]) -> str:
    return headers.get("Content-Type", "").split(";")[0].strip().lower()


def decode(raw: bytes) -> Any:
    """JSON, or the raw text when a body is not JSON (so the assertion shows it instead of crashing)."""
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode(errors="replace")


def query(params: Params) -> str:
    """``a=1&b=x%20y`` in the given order; a None value gives a bare name (``?aadOptscim062020``)."""
    parts = [name if value is None else f"{name}={quote(str(value), safe='')}"
             for name, value in (params or {}).items()]
    return "&".join(parts)


class ScimClient:
    """One tenant's SCIM session: ``get/post/put/patch/delete(path, ...)`` -> ``ScimResponse``."""

    def __init__(self, http: Any, base: str, headers: Mapping[str, str], suffix: Params = None) -> None:
        self.http, self.base = http, base.rstrip("/")
        self.headers = dict(headers)
        self.suffix = dict(suffix or {})  # appended to every query, as Entra appends its flag

    def with_headers(self, headers: Mapping[str, str]) -> ScimClient:
        """The same session sending other default headers (an IdP's Accept, User-Agent, ...)."""
        return ScimClient(self.http, self.base, {**self.headers, **headers}, self.suffix)

    def with_query(self, params: Mapping[str, object]) -> ScimClient:
        """The same session with ``params`` appended to every URL (Entra's ``?aadOptscim062020``)."""
        return ScimClient(self.http, self.base, self.headers, {**self.suffix, **params})

    def url(self, path: str, params: Params = None) -> URL:
        text = query({**(params or {}), **self.suffix})
        return URL(self.base + path + (f"?{text}" if text else ""), encoded=True)

    async def request(self, method: str, path: str, *, json: Any = None, data: bytes | None = None,
                      params: Params = None, headers: Mapping[str, str | None] | None = None) -> ScimResponse:
        """``json`` is sent as ``application/scim+json``; a None header value drops a default header."""
        sent = {**self.headers, **(headers or {})}
        if json is not None:
            data = orjson.dumps(json)
            sent.setdefault("Content-Type", SCIM_JSON)
        sent = {name: value for name, value in sent.items() if value is not None}
        async with self.http.request(method, self.url(path, params), data=data, headers=sent) as response:
            return ScimResponse(response.status, response.headers, decode(await response.read()))

    get = partialmethod(request, "GET")
    post = partialmethod(request, "POST")
    put = partialmethod(request, "PUT")
    patch = partialmethod(request, "PATCH")
    delete = partialmethod(request, "DELETE")


def timestamp(value: str) -> datetime:
    """An RFC 3339 / xsd:dateTime value (RFC 7643 §2.3.5) as an aware datetime; fails on anything else."""
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value!r} has no time zone"
    return parsed
