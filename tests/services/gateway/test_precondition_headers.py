"""Precondition headers as the client's bytes send them: one that is not UTF-8 is a 412, never a 500.

RFC 7232 §2.3 lets an entity-tag hold obs-text (bytes 0x80-0xFF); aiohttp hands them on as lone
surrogates, which no UTF-8 command body can carry. The test client would encode a str header itself,
so these requests are written byte for byte.
"""

import asyncio
import io
import logging

import orjson
import pytest

from services.gateway import keys, middlewares
from shared.logging import JsonFormatter, current_correlation_id

pytestmark = pytest.mark.usefixtures("user_store")

ODD_TAG = b'W/"\xff"'


async def raw_request(client, method: str, path: str, headers: dict[str, str | bytes],
                      body: object = None) -> tuple[int, dict[str, str], bytes]:
    payload = b"" if body is None else orjson.dumps(body)
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: test", b"Connection: close",
             b"Content-Type: application/scim+json", b"Content-Length: %d" % len(payload)]
    lines += [name.encode() + b": " + (value if isinstance(value, bytes) else value.encode())
              for name, value in headers.items()]
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + payload)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, content = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split(" ", 2)[1]), {k.lower(): v for k, v in fields.items()}, content


async def created(gateway, auth, endpoint: str) -> dict:
    body = {"userName": "jane@example.com"} if endpoint == "Users" else {"displayName": "Team"}
    response = await gateway.post(f"/scim/v2/{endpoint}", json=body, headers=auth)
    assert response.status == 201, await response.text()
    return await response.json()


def change(resource: dict, method: str) -> object:
    if method == "PATCH":
        return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "externalId", "value": "x"}]}
    return {key: value for key, value in resource.items() if key != "meta"} if method == "PUT" else None


@pytest.mark.parametrize("endpoint", ["Users", "Groups"])
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_if_match_that_is_not_utf8_is_412_and_changes_nothing(gateway, auth, endpoint, method):
    """RFC 7644 §3.14: an If-Match naming no version of the resource fails the precondition."""
    resource = await created(gateway, auth, endpoint)
    path = f"/scim/v2/{endpoint}/{resource['id']}"
    status, _, body = await raw_request(gateway, method, path, {**auth, "If-Match": ODD_TAG},
                                        change(resource, method))
    assert status == 412, body
    assert orjson.loads(body)["status"] == "412"
    unchanged = await gateway.get(path, headers=auth)
    assert (await unchanged.json())["meta"]["version"] == resource["meta"]["version"]


async def test_if_match_star_beside_a_tag_that_is_not_utf8_still_matches(gateway, auth):
    """RFC 7232 §3.1: "*" matches any current representation, whatever else the list holds."""
    resource = await created(gateway, auth, "Users")
    status, _, body = await raw_request(gateway, "DELETE", f"/scim/v2/Users/{resource['id']}",
                                        {**auth, "If-Match": b"*, " + ODD_TAG})
    assert status == 204, body


@pytest.mark.parametrize("endpoint", ["Users", "Groups"])
async def test_if_none_match_that_is_not_utf8_is_answered_with_the_resource(gateway, auth, endpoint):
    """RFC 7232 §3.2: an If-None-Match naming no current version lets the GET answer 200."""
    resource = await created(gateway, auth, endpoint)
    status, headers, body = await raw_request(gateway, "GET", f"/scim/v2/{endpoint}/{resource['id']}",
                                              {**auth, "If-None-Match": ODD_TAG})
    assert (status, orjson.loads(body)["id"], headers["etag"]) == (200, resource["id"], resource["meta"]["version"])


async def test_a_request_id_that_is_not_utf8_still_names_the_requests_log_lines(gateway, auth, monkeypatch):
    """X-Request-Id is each log line's correlation_id: as lone surrogates it made every line of the request
    unwritable (the JSON encoder refuses them), so the one that says why it failed was lost."""
    async def failing_ask(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(gateway.app[keys.REQUESTER], "ask", failing_ask)
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter("gateway"))
    logging.getLogger(middlewares.__name__).addHandler(handler)
    try:
        status, _, _ = await raw_request(gateway, "GET", "/scim/v2/Users/1", {**auth, "X-Request-Id": b"\xff\xfe"})
    finally:
        logging.getLogger(middlewares.__name__).removeHandler(handler)
    entry = orjson.loads(lines.getvalue().splitlines()[0])
    assert (status, entry["msg"], entry["correlation_id"]) == (500, "unhandled error", "\ufffd\ufffd")


async def test_the_request_id_the_services_get_is_the_clients_cut_to_128_characters(gateway, auth, monkeypatch):
    """Every command a request sends carries its id (shared/logging.py, MessageMeta.request_id): a client's
    8 KB header would ride along in each one, so a longer id is cut."""
    asked_with: list[str | None] = []

    async def recording_ask(*args, **kwargs):
        asked_with.append(current_correlation_id())
        raise RuntimeError("enough")

    monkeypatch.setattr(gateway.app[keys.REQUESTER], "ask", recording_ask)
    for request_id in (b"okta-1", b"x" * 1000):
        await raw_request(gateway, "GET", "/scim/v2/Users/1", {**auth, "X-Request-Id": request_id})
    assert asked_with == ["okta-1", "x" * middlewares.REQUEST_ID_MAX_CHARS]
