"""Credentials as the client's bytes send them: a bearer that is not UTF-8 is a 401, never a 500.

aiohttp hands such bytes on as lone surrogates, which a str.encode() refuses; the test client would
encode a str header itself, so these requests are written byte for byte.
"""

import asyncio

import pytest

from tests.services.gateway.admin_support import create_tenant


async def raw_get(client, path: str, authorization: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                 b"Authorization: " + authorization + b"\r\n\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.parametrize(("path", "secret"), [
    ("/admin/v1/tenants", b"\xff\xfe"),  # the operator key's check: compare_digest on bytes
    ("/admin/v1/tenant", b"sca_0_\xff\xfe"),
    ("/admin/v1/tenant", b"scs_0_\xff\xfe"),
    ("/scim/v2/Users", b"scf_{token_id}_\xff\xfe"),  # a real token id: the secret's hash is computed
])
async def test_a_bearer_that_is_not_utf8_is_401(gw, path, secret):
    token_id = (await create_tenant(gw))["token"].split("_")[1]
    status, body = await raw_get(gw, path, b"Bearer " + secret.replace(b"{token_id}", token_id.encode()))
    assert status == 401 and b"not valid" in body, body
