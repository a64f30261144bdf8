"""Errors, authentication and the media type of every answer (RFC 7644 §3.1, §3.12, §7.4, §8.1)."""

from __future__ import annotations

import pytest

from tests.idp_flows.bodies import okta_user, op, patch, replacement, search
from tests.idp_flows.client import SCIM_JSON, ScimClient, media_type
from tests.idp_flows.steps import create_user

#: RFC 7644 §3.12 Table 8 (and 413 from §3.7.4): the only error statuses a SCIM server answers with.
RFC_STATUSES = {307, 308, 400, 401, 403, 404, 409, 412, 413, 500, 501}
BAD_TOKENS = [None, "non-token", "Bearer scf_0000_wrong", "Bearer ", "Basic dXNlcjpwYXNz"]


async def answers(scim: ScimClient) -> list:
    """One answer of every kind: resource, list, discovery, search and a spread of errors."""
    user = await create_user(scim)
    path = f"/Users/{user['id']}"
    return [
        await scim.get(path), await scim.get("/Users"), await scim.get("/Groups"),
        await scim.get("/ServiceProviderConfig"), await scim.get("/Schemas"), await scim.get("/ResourceTypes"),
        await scim.post("/Users/.search", json=search(filter='userName eq "x"')),
        await scim.patch(path, json=patch(op("replace", "title", "T"))),
        await scim.put(path, json=replacement(user)),
        await scim.get("/Users", headers={"Authorization": None}),
        await scim.get("/Users/no-such-user"),
        await scim.post("/Users", json=okta_user(user["userName"])),
        await scim.post("/Users", data=b"{"),
        await scim.get("/Users", params={"filter": "userName eq"}),
        await scim.get("/Schemas", params={"filter": 'id eq "x"'}),
        await scim.get("/Me"),
        await scim.get("/NoSuchEndpoint"),
        await scim.put(path, json=okta_user(user["userName"]), headers={"If-Match": 'W/"stale"'}),
    ]


async def test_every_answer_is_scim_json(scim):
    """SCIM-NOTES §1.1 / RFC 7644 §3.1, §8.1: resources, ListResponses, discovery and Errors all carry
    ``Content-Type: application/scim+json`` (Entra: "for all the responses")."""
    for response in await answers(scim):
        if response.body is not None:
            assert media_type(response.headers) == SCIM_JSON, (response.status, response.headers)


async def test_every_error_uses_rfc_statuses_and_scim_types(scim):
    """SCIM-NOTES §1.50, §1.49 / RFC 7644 §3.12: errors use only the RFC's status codes and scimTypes, in
    a complete Error body."""
    for response in await answers(scim):
        if response.status >= 300:
            assert response.status in RFC_STATUSES, (response.status, response.body)
            response.expect_error(response.status)


@pytest.mark.parametrize("authorization", BAD_TOKENS)
@pytest.mark.parametrize("method, path", [("GET", "/Users"), ("POST", "/Users"), ("GET", "/Users/any"),
                                          ("GET", "/Groups"), ("POST", "/Bulk")])
async def test_missing_or_invalid_token_is_401(scim, authorization, method, path):
    """SCIM-NOTES §1.3 / RFC 7644 §2, §3.12, RFC 6750 §3: 401 with an Error (``status`` "401", a detail)
    and a ``WWW-Authenticate`` challenge; the Okta spec test sends ``Authorization: non-token``."""
    body = okta_user("intruder@example.com") if method == "POST" else None
    response = await scim.request(method, path, json=body, headers={"Authorization": authorization})
    response.expect_error(401)
    assert response.headers.get("WWW-Authenticate", "").lower().startswith("bearer")


async def test_a_rejected_token_writes_nothing(scim):
    """SCIM-NOTES §1.3: a request with a bad token has no effect."""
    await scim.post("/Users", json=okta_user("intruder@example.com"), headers={"Authorization": "Bearer nope"})
    found = (await scim.get("/Users", params={"filter": 'userName eq "intruder@example.com"'})).expect_list()
    assert found["totalResults"] == 0


@pytest.mark.parametrize("method, body", [
    ("GET", None), ("PUT", okta_user("ghost@example.com")), ("PATCH", patch(op("replace", "title", "T"))),
    ("DELETE", None),
])
async def test_unknown_user_is_404_with_detail(scim, method, body):
    """SCIM-NOTES §1.4 / RFC 7644 §3.12: an unknown id ⇒ 404 Error with ``status`` "404" and a ``detail``
    (asserted by the Okta spec test)."""
    (await scim.request(method, "/Users/2819c223-7f76-453a-919d-ffffffffffff", json=body)).expect_error(404)


async def test_unknown_endpoint_is_a_404_scim_error(scim):
    """SCIM-NOTES §1.4, §1.1: a path that names no endpoint is a SCIM 404 Error too."""
    (await scim.get("/NoSuchEndpoint")).expect_error(404)


async def test_error_body_shape(scim):
    """SCIM-NOTES §1.49 / RFC 7644 §3.12: ``{"schemas":[Error],"status":"409","scimType":"uniqueness",
    "detail":…}``: status a string, nothing but the Error fields."""
    user = await create_user(scim)
    error = (await scim.post("/Users", json=okta_user(user["userName"]))).expect_error(409, "uniqueness")
    assert error.keys() == {"schemas", "status", "scimType", "detail"}
    assert user["userName"] in error["detail"] or "userName" in error["detail"]
