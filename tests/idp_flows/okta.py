"""Okta's provisioning session, request by request, as Okta documents it [okta-scim20, okta-prepare,
okta-spec-test] (SCIM-NOTES §2): connection test, look-up before create, create, PUT updates,
deactivate/reactivate (PATCH for OIN apps, PUT for AIW apps; Okta never DELETEs users), import by
paging, Group Push, and the re-sends an admin's "Retry Selected" causes."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.idp_flows.bodies import OKTA_HEADERS, eq, group, members, okta_user, op, patch, replacement, unique
from tests.idp_flows.client import ScimClient
from tests.idp_flows.steps import (
    OKTA_PAGE,
    create,
    group_ids_of,
    import_all,
    look_up,
    member_ids,
    read,
    resend_changes_nothing,
    send,
)

#: Enough users that the import needs a second page of 100.
IMPORTED_USERS = OKTA_PAGE + 5


async def run(scim: ScimClient) -> None:
    okta = scim.with_headers(OKTA_HEADERS)
    await check_connection(okta)
    user = await assign_user(okta, f"{unique('okta.')}@example.com")
    user = await update_profile(okta, user)
    await deactivate_and_reactivate(okta, user)
    await import_users(okta, [user["id"], *await create_users(okta, IMPORTED_USERS - 1)])
    await push_group(okta, user)


async def check_connection(okta: ScimClient) -> None:
    """"Test API Credentials": ``GET /Users?startIndex=1&count=2`` and ``GET /Groups?startIndex=1&count=100``."""
    await import_page(okta, "/Users", count=2)
    await import_page(okta, "/Groups", count=OKTA_PAGE)


async def import_page(okta: ScimClient, endpoint: str, count: int) -> dict[str, Any]:
    return (await okta.get(endpoint, params={"startIndex": 1, "count": count})).expect_list()


async def find_user(okta: ScimClient, user_name: str) -> list[dict[str, Any]]:
    """``GET /Users?filter=userName eq "…"&startIndex=1&count=100`` (Okta's exact look-up)."""
    found = await look_up(okta, "/Users", eq("userName", user_name), startIndex=1, count=OKTA_PAGE)
    return found["Resources"]


async def assign_user(okta: ScimClient, user_name: str) -> dict[str, Any]:
    """Look up (empty ⇒ create), create, link by id; a second create is the 409 that stops Okta's job."""
    assert await find_user(okta, user_name) == []
    body = okta_user(user_name)
    created = await create(okta, "/Users", body)
    assert "password" not in created and created["active"] is True
    assert (created["userName"], created["externalId"]) == (user_name, body["externalId"])
    assert created["emails"] == body["emails"] and created["name"] == body["name"]
    assert [found["id"] for found in await find_user(okta, user_name.upper())] == [created["id"]]
    (await okta.post("/Users", json=body)).expect_error(409, "uniqueness")
    assert await read(okta, f"/Users/{created['id']}") == created
    return created


async def update_profile(okta: ScimClient, user: dict[str, Any]) -> dict[str, Any]:
    """Profile push: GET the user, then PUT the full object back with the changes (OIN and AIW apps)."""
    path = f"/Users/{user['id']}"
    current = await read(okta, path)
    body = replacement(current, name={"givenName": "Janet", "familyName": "Doe-Smith"}, title="Head of Sales")
    updated = await send(okta, "PUT", path, body)
    assert (updated["name"], updated["title"], updated["active"]) == (body["name"], "Head of Sales", True)
    assert updated["meta"]["version"] != current["meta"]["version"]
    assert await read(okta, path) == updated
    await resend_changes_nothing(okta, "PUT", path, body)
    return updated


async def deactivate_and_reactivate(okta: ScimClient, user: dict[str, Any]) -> None:
    """OIN apps PATCH ``{"op":"replace","value":{"active":false}}`` (no path); AIW apps PUT the object."""
    path = f"/Users/{user['id']}"
    for active in (False, True):
        body = patch(op("replace", value={"active": active}))
        await send(okta, "PATCH", path, body)
        await expect_active(okta, user, active)
        await resend_changes_nothing(okta, "PATCH", path, body)
    for active in (False, True):
        await send(okta, "PUT", path, replacement(await read(okta, path), active=active))
        await expect_active(okta, user, active)


async def expect_active(okta: ScimClient, user: dict[str, Any], active: bool) -> None:
    """A deactivated user is still returned by GET and by the look-up (only a hard delete hides it)."""
    assert (await read(okta, f"/Users/{user['id']}"))["active"] is active
    [found] = await find_user(okta, user["userName"])
    assert found["active"] is active


async def create_users(okta: ScimClient, how_many: int, at_once: int = 20) -> list[str]:
    """Assignments arrive a few at a time (kept well under the gateway's reply deadline)."""
    created: list[dict[str, Any]] = []
    for start in range(0, how_many, at_once):
        bodies = [okta_user(f"{unique('import.')}@example.com") for _ in range(min(at_once, how_many - start))]
        created += await asyncio.gather(*(create(okta, "/Users", body) for body in bodies))
    return [user["id"] for user in created]


async def import_users(okta: ScimClient, user_ids: list[str]) -> None:
    """Import: every user exactly once across pages of 100, deactivated ones included."""
    seen = [user["id"] for user in await import_all(okta, "/Users")]
    assert set(user_ids) <= set(seen), set(user_ids) - set(seen)


async def push_group(okta: ScimClient, user: dict[str, Any]) -> None:
    """Group Push: create, membership PATCHes (with the rename Okta sends each time), import, delete."""
    other = (await create(okta, "/Users", okta_user(f"{unique('okta.')}@example.com")))["id"]
    pushed = await create(okta, "/Groups", group(unique("Test SCIMv2 ")))
    assert pushed["displayName"].startswith("Test SCIMv2") and not pushed.get("members")
    path, name = f"/Groups/{pushed['id']}", unique("Sales ")
    await change_members(okta, pushed["id"], name, add=(user, await read(okta, f"/Users/{other}")))
    assert sorted(await member_ids(okta, pushed["id"])) == sorted([user["id"], other])
    assert pushed["id"] in await group_ids_of(okta, user["id"])
    await change_members(okta, pushed["id"], name, remove=(user["id"],))
    assert await member_ids(okta, pushed["id"]) == [other]
    assert pushed["id"] not in await group_ids_of(okta, user["id"])
    await replace_members(okta, pushed["id"], [user["id"]])
    await check_group_import(okta, pushed["id"], name)
    (await okta.delete(path)).expect(204)
    (await okta.get(path)).expect_error(404)
    assert pushed["id"] not in await group_ids_of(okta, user["id"])


async def change_members(okta: ScimClient, group_id: str, name: str, *, add: tuple[dict, ...] = (),
                         remove: tuple[str, ...] = ()) -> None:
    """Okta's membership PATCH: rename op (always), ``remove members[value eq "…"]``, ``add members``."""
    operations = [op("replace", value={"id": group_id, "displayName": name})]
    operations += [op("remove", f'members[value eq "{user_id}"]') for user_id in remove]
    if add:
        operations.append(op("add", "members", [{"value": u["id"], "display": u["userName"]} for u in add]))
    body = patch(*operations)
    await send(okta, "PATCH", f"/Groups/{group_id}", body)
    assert (await read(okta, f"/Groups/{group_id}"))["displayName"] == name
    await resend_changes_nothing(okta, "PATCH", f"/Groups/{group_id}", body)


async def replace_members(okta: ScimClient, group_id: str, user_ids: list[str]) -> None:
    """The other membership shape: ``{"op":"replace","path":"members","value":[…]}``."""
    await send(okta, "PATCH", f"/Groups/{group_id}", patch(op("replace", "members", members(*user_ids))))
    assert await member_ids(okta, group_id) == user_ids


async def check_group_import(okta: ScimClient, group_id: str, name: str) -> None:
    """Import Groups pages ``/Groups`` like users; members can be left out with excludedAttributes."""
    assert group_id in [found["id"] for found in await import_all(okta, "/Groups")]
    light = await read(okta, f"/Groups/{group_id}", excludedAttributes="members")
    assert light["displayName"] == name and "members" not in light
