"""Steps both IdP flows (and the conformance tests) take: create, look up, page, re-send, read members."""

from __future__ import annotations

from typing import Any

from tests.idp_flows.bodies import group, okta_user, unique
from tests.idp_flows.client import ScimClient

#: Okta's import page size and Entra's look-up window: "query parameters … always constant" [okta-scim20].
OKTA_PAGE = 100


async def create(scim: ScimClient, endpoint: str, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """POST → 201 with a server id and ``Location`` = ``meta.location`` (RFC 7644 §3.3)."""
    response = await scim.post(endpoint, json=body, **kwargs)
    created = response.expect(201)
    assert created["id"] and "bulkId" not in created["id"], created
    assert response.headers["Location"] == created["meta"]["location"], response.headers
    return created


async def read(scim: ScimClient, path: str, **params: str) -> dict[str, Any]:
    """GET one resource → 200 with the id the path names (Okta spec test, Microsoft Postman)."""
    found = (await scim.get(path, params=params or None)).expect(200)
    assert found["id"] == path.rsplit("/", 1)[-1], found
    return found


async def look_up(scim: ScimClient, endpoint: str, filter_: str, **params: object) -> dict[str, Any]:
    """``GET /Users?filter=…`` the way IdPs match before create: a ListResponse, possibly empty."""
    return (await scim.get(endpoint, params={"filter": filter_, **params})).expect_list()


async def import_all(scim: ScimClient, endpoint: str, count: int = OKTA_PAGE) -> list[dict[str, Any]]:
    """Okta import: ``startIndex=1&count=100``, then ``startIndex+100`` until ``totalResults`` is reached."""
    seen: list[dict[str, Any]] = []
    start_index, total = 1, None
    while total is None or start_index <= total:
        page = (await scim.get(endpoint, params={"startIndex": start_index, "count": count})).expect_list()
        assert page["startIndex"] == start_index, page
        assert total in (None, page["totalResults"]), "totalResults changed while paging"
        total = page["totalResults"]
        assert page["Resources"] or start_index > total, f"empty page at {start_index} of {total}"
        seen += page["Resources"]
        start_index += count
    ids = [resource["id"] for resource in seen]
    assert len(ids) == len(set(ids)) == total, f"{len(ids)} seen, {len(set(ids))} distinct, {total} total"
    return seen


async def send(scim: ScimClient, method: str, path: str, body: dict[str, Any]) -> Any:
    """A PUT answers 200 with the resource; a PATCH 200 with it or 204 (RFC 7644 §3.5.1, §3.5.2)."""
    allowed = (200,) if method == "PUT" else (200, 204)
    return (await scim.request(method, path, json=body)).expect(*allowed)


async def resend_changes_nothing(scim: ScimClient, method: str, path: str, body: dict[str, Any]) -> None:
    """Entra's ~40-minute cycle re-sends the same state: success, and the resource (meta.version,
    meta.lastModified included) is exactly as before [entra-howworks]."""
    before = await read(scim, path)
    await send(scim, method, path, body)
    after = await read(scim, path)
    assert after["meta"]["version"] == before["meta"]["version"], (before["meta"], after["meta"])
    assert after["meta"]["lastModified"] == before["meta"]["lastModified"], (before["meta"], after["meta"])
    assert after == before


async def member_ids(scim: ScimClient, group_id: str) -> list[str]:
    """The member ids of a group, in the order returned (duplicates kept, so tests can catch them)."""
    group = await read(scim, f"/Groups/{group_id}")
    return [member["value"] for member in group.get("members") or []]


async def group_ids_of(scim: ScimClient, user_id: str) -> set[str]:
    """The user's read-only ``groups`` (RFC 7643 §4.1.2), which the server derives from /Groups."""
    user = await read(scim, f"/Users/{user_id}")
    return {group["value"] for group in user.get("groups") or []}


async def create_user(scim: ScimClient, user_name: str | None = None, **overrides: Any) -> dict[str, Any]:
    """An Okta-shaped user with a fresh userName (or the one given)."""
    return await create(scim, "/Users", okta_user(user_name or f"{unique()}@example.com", **overrides))


async def create_group(scim: ScimClient, *user_ids: str, **extra: Any) -> dict[str, Any]:
    return await create(scim, "/Groups", group(unique("Group "), user_ids, **extra))
