"""Versions and ETags (RFC 7644 §3.14, RFC 7232), and re-sends that must change nothing."""

from __future__ import annotations

import pytest

from tests.idp_flows.bodies import group, members, okta_user, op, patch, replacement
from tests.idp_flows.client import ScimClient, ScimResponse
from tests.idp_flows.steps import create_group, create_user, read, resend_changes_nothing

STALE = 'W/"stale-version"'
WRITES = ["PUT", "PATCH", "DELETE"]


def write(user: dict, method: str) -> dict | None:
    """The body of one change of each kind a precondition guards: PUT, PATCH, DELETE."""
    bodies = {"PUT": replacement(user, title="Changed"), "PATCH": patch(op("replace", "title", "Changed"))}
    return bodies.get(method)


async def conditional_write(scim: ScimClient, method: str, if_match: str | None) -> tuple[dict, ScimResponse]:
    """Create a user, then change it with ``If-Match: <if_match>`` (None: its current version)."""
    user = await create_user(scim)
    response = await scim.request(method, f"/Users/{user['id']}", json=write(user, method),
                                  headers={"If-Match": if_match or user["meta"]["version"]})
    return user, response


async def test_etag_header_is_meta_version(scim):
    """SCIM-NOTES §1.48 / RFC 7644 §3.14: the ETag header equals ``meta.version`` on POST, GET, PUT and
    PATCH answers, for users and groups."""
    response = await scim.post("/Users", json=okta_user("etag@example.com"))
    path = f"/Users/{response.expect(201)['id']}"
    responses = [response, await scim.get(path)]
    responses.append(await scim.put(path, json=replacement(response.body, title="Chief")))
    responses.append(await scim.patch(path, json=patch(op("replace", "title", "CEO"))))
    responses.append(await scim.get(f"/Groups/{(await create_group(scim))['id']}"))
    for answer in responses:
        if answer.status != 204:
            assert answer.headers["ETag"] == answer.expect(200, 201)["meta"]["version"]


async def test_version_changes_with_every_change(scim):
    """SCIM-NOTES §1.48 / RFC 7643 §3.1: ``meta.version`` is new after a change; lastModified moves on."""
    user = await create_user(scim)
    await scim.patch(f"/Users/{user['id']}", json=patch(op("replace", "title", "Chief")))
    changed = await read(scim, f"/Users/{user['id']}")
    assert changed["meta"]["version"] != user["meta"]["version"]
    assert changed["meta"]["lastModified"] >= user["meta"]["lastModified"]


@pytest.mark.parametrize("method", WRITES)
async def test_if_match_with_a_stale_version_is_412(scim, method):
    """SCIM-NOTES §1.48 / RFC 7644 §3.14: If-Match that does not match ⇒ 412 Precondition Failed, unchanged."""
    user, response = await conditional_write(scim, method, STALE)
    response.expect_error(412)
    assert await read(scim, f"/Users/{user['id']}") == user


@pytest.mark.parametrize("method", WRITES)
async def test_if_match_with_the_current_version_succeeds(scim, method):
    """SCIM-NOTES §1.48 / RFC 7644 §3.14: If-Match equal to the current ETag lets the change through."""
    _, response = await conditional_write(scim, method, None)
    response.expect(200, 204)


async def test_if_none_match_current_is_304(scim):
    """SCIM-NOTES §1.48 / RFC 7644 §3.14, RFC 7232 §4.1: If-None-Match with the current ETag ⇒ 304, no body;
    with another ETag ⇒ 200 and the resource."""
    user = await create_user(scim)
    path = f"/Users/{user['id']}"
    not_modified = await scim.get(path, headers={"If-None-Match": user["meta"]["version"]})
    assert (not_modified.status, not_modified.body) == (304, None)
    assert (await scim.get(path, headers={"If-None-Match": STALE})).expect(200) == user


async def test_identical_put_changes_nothing(scim):
    """SCIM-NOTES §1.48 and §5 (IdPs re-send the same state): an identical PUT keeps meta.version and
    meta.lastModified."""
    user = await create_user(scim)
    await resend_changes_nothing(scim, "PUT", f"/Users/{user['id']}", replacement(user))


@pytest.mark.parametrize("operation", [
    lambda user: op("replace", value={"active": True}),
    lambda user: op("Replace", "active", "True"),
    lambda user: op("replace", 'emails[type eq "work"].value', user["userName"]),
    lambda user: op("add", "emails", user["emails"]),
], ids=["okta active", "entra active", "value path", "add existing email"])
async def test_patch_to_the_current_state_changes_nothing(scim, operation):
    """SCIM-NOTES §1.48 and §3 (Entra's ~40-minute cycle re-sends every change): a PATCH that sets what is
    already there keeps meta.version and meta.lastModified."""
    user = await create_user(scim)
    await resend_changes_nothing(scim, "PATCH", f"/Users/{user['id']}", patch(operation(user)))


async def test_group_resends_change_nothing(scim):
    """SCIM-NOTES §1.48, §1.40: re-adding present members or re-sending the group's PUT changes nothing."""
    user_id = (await create_user(scim))["id"]
    created = await create_group(scim, user_id)
    path = f"/Groups/{created['id']}"
    entra_add = patch(op("Add", "members", members(user_id, **{"$ref": None})))
    await resend_changes_nothing(scim, "PATCH", path, entra_add)
    await resend_changes_nothing(scim, "PUT", path, group(created["displayName"], (user_id,)))

