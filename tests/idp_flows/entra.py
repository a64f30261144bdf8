"""Microsoft Entra ID's provisioning session, request by request [entra-tutorial, entra-compat]
(SCIM-NOTES §3), with or without the ``aadOptscim062020`` flag on the Tenant URL.

Without the flag Entra capitalises ops (``Replace``), sends booleans as ``"False"``, one ``Replace``
per attribute, and removes members with a ``value`` list; with it, ops are lower case, booleans real,
several attributes go in one path-less ``replace`` with dotted keys, and members are removed with
``members[value eq "…"]``. Every ~40 minutes the next cycle re-sends the same changes
[entra-howworks]: they must succeed and change nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.idp_flows.bodies import (
    ENTERPRISE,
    ENTRA_FLAG,
    entra_group,
    entra_user,
    eq,
    members,
    op,
    patch,
    unique,
)
from tests.idp_flows.client import ScimClient
from tests.idp_flows.steps import create, look_up, member_ids, read, resend_changes_nothing, send

WORK_EMAIL = 'emails[type eq "work"].value'


@dataclass(frozen=True)
class Entra:
    """One Entra provisioning job: the client (flag appended to every URL when on) and its op spelling."""

    scim: ScimClient
    flag: bool

    @classmethod
    def job(cls, scim: ScimClient, *, flag: bool) -> Entra:
        return cls(scim.with_query({ENTRA_FLAG: None}) if flag else scim, flag)

    def op(self, name: str, *path_and_value: Any) -> dict[str, Any]:
        """``Replace``/``Add``/``Remove`` without the flag, lower case with it."""
        return op(name.lower() if self.flag else name.capitalize(), *path_and_value)

    def boolean(self, value: bool) -> bool | str:
        """``"False"`` without the flag, ``false`` with it."""
        return value if self.flag else str(value)

    async def patch(self, path: str, *operations: dict[str, Any]) -> dict[str, Any]:
        """Send a PATCH, then the same PATCH again as the next cycle does: the second changes nothing."""
        body = patch(*operations)
        await send(self.scim, "PATCH", path, body)
        await resend_changes_nothing(self.scim, "PATCH", path, body)
        return await read(self.scim, path)


async def run(scim: ScimClient, *, flag: bool) -> None:
    entra = Entra.job(scim, flag=flag)
    await check_connection(entra)
    user = await match_or_create(entra, entra_user(f"{unique('entra.')}@contoso.com"))
    manager = await match_or_create(entra, entra_user(f"{unique('boss.')}@contoso.com", with_nulls=True))
    assert not {"addresses", "phoneNumbers", "title"} & manager.keys(), "nulls are 'unset', not values"
    await update_user(entra, user)
    await rename_user(entra, user)
    await add_single_value(entra, user)
    await set_and_remove_manager(entra, user, manager)
    await disable_and_enable(entra, user)
    await provision_group(entra, user["id"], manager["id"])
    for gone in (user, manager):
        await hard_delete(entra, f"/Users/{gone['id']}")


async def check_connection(entra: Entra) -> None:
    """Test Connection: the matching attribute with a random GUID ⇒ 200 and an empty ListResponse."""
    found = await look_up(entra.scim, "/Users", eq("userName", str(uuid.uuid4())))
    assert (found["totalResults"], found["Resources"]) == (0, [])


async def match_or_create(entra: Entra, body: dict[str, Any]) -> dict[str, Any]:
    """Match on userName (none) ⇒ create; afterwards every matching attribute Entra may use finds it."""
    assert (await look_up(entra.scim, "/Users", eq("userName", body["userName"])))["Resources"] == []
    created = await create(entra.scim, "/Users", body)
    assert created["active"] is True and created["externalId"] == body["externalId"]
    for filter_ in (eq("externalId", body["externalId"]), eq(WORK_EMAIL, body["userName"]),
                    eq("userName", body["userName"])):
        found = await look_up(entra.scim, "/Users", filter_)
        assert [user["id"] for user in found["Resources"]] == [created["id"]], filter_
    return created


async def update_user(entra: Entra, user: dict[str, Any]) -> None:
    """Work email by value path, names and an enterprise attribute: one op each without the flag; with
    it one value-path op plus one path-less ``replace`` with dotted and URN-qualified keys."""
    email = f"{unique('moved.')}@contoso.com"
    changes = {"displayName": "Joanna Young-Smith", "name.givenName": "Joanna", "name.familyName": "Young-Smith",
               f"{ENTERPRISE}:employeeNumber": "701984"}
    if entra.flag:
        operations = [entra.op("replace", WORK_EMAIL, email), entra.op("replace", None, changes)]
    else:
        operations = [entra.op("replace", WORK_EMAIL, email),
                      *(entra.op("replace", path, value) for path, value in changes.items())]
    updated = await entra.patch(f"/Users/{user['id']}", *operations)
    assert [e["value"] for e in updated["emails"] if e.get("type") == "work"] == [email]
    assert updated["name"] == {"formatted": "Jo Young", "givenName": "Joanna", "familyName": "Young-Smith"}
    assert updated["displayName"] == "Joanna Young-Smith" and "name.givenName" not in updated
    assert updated[ENTERPRISE]["employeeNumber"] == "701984" and ENTERPRISE in updated["schemas"]
    found = await look_up(entra.scim, "/Users", eq(WORK_EMAIL, email))
    assert [found_user["id"] for found_user in found["Resources"]] == [user["id"]]


async def rename_user(entra: Entra, user: dict[str, Any]) -> None:
    """``{"op":"Replace","path":"userName","value":"…"}``: the new name matches, the old one no longer."""
    new_name = f"{unique('renamed.')}@contoso.com"
    updated = await entra.patch(f"/Users/{user['id']}", entra.op("replace", "userName", new_name))
    assert updated["userName"] == new_name
    assert (await look_up(entra.scim, "/Users", eq("userName", user["userName"])))["totalResults"] == 0
    assert (await look_up(entra.scim, "/Users", eq("userName", new_name)))["totalResults"] == 1


async def add_single_value(entra: Entra, user: dict[str, Any]) -> None:
    """``"op":"Add"`` (``"add"`` with the flag) on a single-valued attribute sets it."""
    updated = await entra.patch(f"/Users/{user['id']}", entra.op("add", "nickName", "Jojo"))
    assert updated["nickName"] == "Jojo"


async def set_and_remove_manager(entra: Entra, user: dict[str, Any], manager: dict[str, Any]) -> None:
    """Manager ``Add`` with ``$ref`` (a one-element list for a single-valued complex attribute), then
    ``remove manager[value eq "…"]`` (thomaspoignant/scim-patch#453)."""
    path = f"/Users/{user['id']}"
    reference = {"$ref": manager["meta"]["location"], "value": manager["id"]}
    updated = await entra.patch(path, entra.op("add", "manager", [reference]))
    assert updated[ENTERPRISE]["manager"]["value"] == manager["id"], updated
    await send(entra.scim, "PATCH", path, patch(entra.op("remove", f'manager[value eq "{manager["id"]}"]')))
    assert "manager" not in (await read(entra.scim, path)).get(ENTERPRISE, {})


async def disable_and_enable(entra: Entra, user: dict[str, Any]) -> None:
    """Soft delete: ``Replace active "False"`` (``false`` with the flag); the user stays visible."""
    path = f"/Users/{user['id']}"
    for active in (False, True):
        updated = await entra.patch(path, entra.op("replace", "active", entra.boolean(active)))
        assert updated["active"] is active
        [found] = (await look_up(entra.scim, "/Users", eq("externalId", user["externalId"])))["Resources"]
        assert found["active"] is active


async def provision_group(entra: Entra, *user_ids: str) -> None:
    """Match by displayName with ``excludedAttributes=members``, create empty, add members with
    ``"$ref": null``, remove one, rename; then hard delete."""
    name = unique("Sales Team ")
    assert (await find_group(entra, name)) == []
    created = await create(entra.scim, "/Groups", entra_group(name))
    assert created["displayName"] == name and not created.get("members")
    assert [found["id"] for found in await find_group(entra, name)] == [created["id"]]
    path = f"/Groups/{created['id']}"
    await entra.patch(path, entra.op("add", "members", members(*user_ids, **{"$ref": None})))
    assert sorted(await member_ids(entra.scim, created["id"])) == sorted(user_ids)
    await remove_member(entra, path, user_ids[0])
    assert await member_ids(entra.scim, created["id"]) == list(user_ids[1:])
    renamed = await entra.patch(path, entra.op("replace", "displayName", f"{name} (renamed)"))
    assert renamed["displayName"] == f"{name} (renamed)"
    assert [found["id"] for found in await find_group(entra, f"{name} (renamed)")] == [created["id"]]
    await hard_delete(entra, path)


async def find_group(entra: Entra, name: str) -> list[dict[str, Any]]:
    """``GET /Groups?excludedAttributes=members&filter=displayName eq "…"``: no member lists sent."""
    found = await look_up(entra.scim, "/Groups", eq("displayName", name), excludedAttributes="members")
    assert all("members" not in group for group in found["Resources"]), found
    return found["Resources"]


async def remove_member(entra: Entra, path: str, user_id: str) -> None:
    """Without the flag ``Remove`` + ``path:"members"`` + a value list must remove only those members
    (MicrosoftDocs/azure-docs#30826); with it, ``remove members[value eq "…"]``."""
    if entra.flag:
        await entra.patch(path, entra.op("remove", f'members[value eq "{user_id}"]'))
    else:
        await entra.patch(path, entra.op("remove", "members", members(user_id, **{"$ref": None})))


async def hard_delete(entra: Entra, path: str) -> None:
    """DELETE → 204, then the resource is gone (404), only now: soft deletes kept it visible."""
    assert (await entra.scim.delete(path)).expect(204) is None
    (await entra.scim.get(path)).expect_error(404)
