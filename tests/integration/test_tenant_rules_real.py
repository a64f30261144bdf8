"""Issue 5, "done when" 1, on the real system: each tenant, token and connection rule of the admin API
(README, "Admin API") holds with every service as its own process on a real Kafka broker.

One test per rule: testing the credentials (reads with a valid token, a SCIM 401 with a bad one); a
deleted or replaced token is 401 "revoked"; an expired one is 401 "expired"; neither changes a
provisioned user. "Manage users through IdP" starts off, the first successful call turns it on, the
admin switches it and disabling goes in order. The email-change policy, a tenant's own rate limit
(429 + Retry-After, retried until every user exists exactly once) and tenant isolation.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from contracts.tenants.v2 import TenantRecord
from services.gateway.tenancy.rules import add_admin, new_tenant
from shared.devtools.launcher import System
from tests.integration.conftest import create_tenant, operator_headers
from tests.integration.test_token_reminder_real import publish

pytestmark = pytest.mark.integration

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#: The reads an admin's "Test API credentials" makes (Okta and Entra ID both do some of these).
CREDENTIAL_PROBES = ("/Users?count=1", "/ServiceProviderConfig")


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]


@dataclass(frozen=True)
class TenantKeys:
    """What a tenant's people hold: the IdP's SCIM token and one admin's key."""

    tenant_id: str
    token: str
    admin_key: str
    admin_id: str


class Api:
    """Plain HTTP against one running system: SCIM with a token, the admin API with a key."""

    def __init__(self, session: aiohttp.ClientSession, system: System) -> None:
        self.session, self.system = session, system

    async def call(self, method: str, url: str, key: str | None, body: object = None) -> Answer:
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        async with self.session.request(method, url, json=body, headers=headers) as response:
            return Answer(response.status, await response.json(content_type=None), response.headers)

    async def scim(self, method: str, path: str, token: str | None, body: object = None) -> Answer:
        return await self.call(method, f"{self.system.base_url}/scim/v2{path}", token, body)

    async def admin(self, method: str, path: str, key: str, body: object = None) -> Answer:
        return await self.call(method, f"{self.system.base_url}/admin/v1{path}", key, body)

    async def operator(self, method: str, path: str, body: object = None) -> Answer:
        key = operator_headers(self.system)["Authorization"].removeprefix("Bearer ")
        return await self.admin(method, f"/tenants{path}", key, body)

    async def onboard(self, name: str) -> TenantKeys:
        """As the README has it: the operator creates the tenant (CLI) and adds its admin (admin API)."""
        tenant = await asyncio.to_thread(create_tenant, self.system, name)
        added = expect(await self.operator("POST", f"/{tenant['tenant_id']}/admins",
                                           {"name": "Ada", "email": f"ada@{name}.example"}), 201)
        return TenantKeys(tenant["tenant_id"], tenant["token"], added["admin_key"], added["admin_id"])


@asynccontextmanager
async def api_of(system: System) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield Api(session, system)


def expect(answer: Answer, status: int = 200) -> Any:
    assert answer.status == status, (answer.status, answer.body)
    return answer.body


def scim_error(answer: Answer, status: int) -> str:
    """The SCIM Error body (RFC 7644 §3.12) every refusal on /scim/v2 carries; returns its detail."""
    assert answer.status == status, (answer.status, answer.body)
    assert ERROR in answer.body["schemas"], answer.body
    assert answer.body["status"] == str(status), answer.body
    assert answer.body["detail"], answer.body
    return answer.body["detail"]


def user_body(user_name: str, **attributes: Any) -> dict[str, Any]:
    return {"schemas": [USER], "userName": user_name, "active": True, **attributes}


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def work_email(address: str) -> list[dict[str, Any]]:
    return [{"value": address, "type": "work", "primary": True}]


async def connect(api: Api, token: str) -> None:
    """The admin's "Test API credentials": a read, the tenant's first successful SCIM call."""
    expect(await api.scim("GET", "/ServiceProviderConfig", token))


async def create_user(api: Api, token: str, body: dict[str, Any], refusals: list[Answer] | None = None,
                      timeout: float = 60.0) -> dict[str, Any]:
    """POST /Users as an IdP does: a 429 or 503 is retried after its Retry-After (the documented wait);
    a 409 after a 503 means the earlier try got through, so the user is looked up. Every 429 goes
    to ``refusals`` when given."""
    deadline, answer, unanswered = time.monotonic() + timeout, None, False
    while time.monotonic() < deadline:
        answer = await api.scim("POST", "/Users", token, body)
        if answer.status == 201:
            return answer.body
        if answer.status == 409 and unanswered:
            return await find_user(api, token, body["userName"])
        assert answer.status in (429, 503), (answer.status, answer.body)
        unanswered |= answer.status == 503
        if answer.status == 429 and refusals is not None:
            refusals.append(answer)
        await asyncio.sleep(int(answer.headers["Retry-After"]))
    raise TimeoutError(f"{body['userName']} not created: last answer {answer}")


async def find_user(api: Api, token: str, user_name: str) -> dict[str, Any]:
    [found] = expect(await api.scim("GET", f'/Users?filter=userName eq "{user_name}"', token))["Resources"]
    return found


async def get_users(api: Api, token: str, user_ids: list[str]) -> list[dict[str, Any]]:
    return [expect(await api.scim("GET", f"/Users/{user_id}", token)) for user_id in user_ids]


async def provision_three(api: Api, token: str, domain: str) -> list[dict[str, Any]]:
    """Three users as the store keeps them (GET after create, so meta is the stored one)."""
    created = [await create_user(api, token, user_body(f"{name}@{domain}", emails=work_email(f"{name}@{domain}"),
                                                       displayName=name.title()))
               for name in ("ann", "bob", "cy")]
    return await get_users(api, token, [user["id"] for user in created])


async def refused_writes(api: Api, token: str, user: dict[str, Any], status: int) -> list[str]:
    """Every kind of SCIM write with ``token``: each must be refused with ``status``; their details."""
    path = f"/Users/{user['id']}"
    answers = (await api.scim("POST", "/Users", token, user_body(f"new-{uuid.uuid4().hex[:8]}@x.example")),
               await api.scim("PATCH", path, token, patch_body({"op": "replace", "path": "active", "value": False})),
               await api.scim("PUT", path, token, user_body(user["userName"], displayName="Changed")),
               await api.scim("DELETE", path, token))
    return [scim_error(answer, status) for answer in answers]


async def wait_for(probe: Callable[[], Awaitable[Any]], timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Poll an async probe with a deadline (never a bare sleep); its first truthy answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await probe():
            return result
        await asyncio.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")


# Rule 1: testing the API credentials.

async def test_credential_test_reads_succeed_with_a_valid_token_and_get_a_scim_401_with_a_bad_one(running_system):
    async with api_of(running_system) as api:
        acme = await api.onboard("acme")
        by_id = f'/Users?filter=id eq "{uuid.uuid4()}"'
        for path in (*CREDENTIAL_PROBES, by_id):
            expect(await api.scim("GET", path, acme.token))
        assert expect(await api.scim("GET", by_id, acme.token))["totalResults"] == 0
        bad_tokens = (None, "scf_not-a-token", acme.token + "x", acme.admin_key)  # None: no Authorization
        for bad in bad_tokens:
            for path in (*CREDENTIAL_PROBES, by_id):
                scim_error(await api.scim("GET", path, bad), 401)


# Rule 2: a deleted or replaced token is revoked; provisioned users stay.

async def test_a_deleted_or_replaced_token_gets_401_revoked_and_provisioned_users_stay_as_they_were(running_system):
    async with api_of(running_system) as api:
        acme = await api.onboard("acme")
        await connect(api, acme.token)
        users = await provision_three(api, acme.token, "acme.example")

        assert (await api.admin("DELETE", "/tenant/token", acme.admin_key)).status == 204
        assert "revoked" in scim_error(await api.scim("GET", "/Users?count=1", acme.token), 401)
        assert all("revoked" in detail for detail in await refused_writes(api, acme.token, users[0], 401))
        expect(await api.admin("GET", "/tenant/token", acme.admin_key), 404)
        first = expect(await api.admin("POST", "/tenant/token", acme.admin_key, {"expires_in_days": 90}), 201)
        expect(await api.scim("GET", "/ServiceProviderConfig", first["token"]))

        unconfirmed = await api.admin("POST", "/tenant/token", acme.admin_key, {"expires_in_days": 180})
        assert "replace" in expect(unconfirmed, 409)["detail"]
        expect(await api.scim("GET", "/ServiceProviderConfig", first["token"]))  # a 409 replaces nothing
        second = expect(await api.admin("POST", "/tenant/token", acme.admin_key,
                                        {"expires_in_days": 180, "replace": True}), 201)
        assert "revoked" in scim_error(await api.scim("GET", "/Users?count=1", first["token"]), 401)
        assert all("revoked" in detail for detail in await refused_writes(api, first["token"], users[1], 401))

        assert await get_users(api, second["token"], [user["id"] for user in users]) == users
        assert expect(await api.scim("GET", "/Users", second["token"]))["totalResults"] == len(users)


# Rule 3: an expired token.

def tenant_with_token_expiring_tomorrow() -> tuple[TenantRecord, str, str]:
    """A tenant whose 90-day token was issued 89 days ago, with one admin: the record, token, admin key.
    Tokens are only issued for 90/180/365 days, so the record is published on tenants.state as the
    gateway that created it would have done then (as test_token_reminder_real does)."""
    issued_at = datetime.now(UTC) - timedelta(days=89)
    issued = new_tenant("expiring", issued_at, token_days=90)
    admin = add_admin(issued.record, "Ada", "ada@expiring.example", issued_at)
    return admin.record, issued.secret, admin.secret


def expired(record: TenantRecord) -> TenantRecord:
    """The same record, its token's expiry a minute ago (what the clock does to it tomorrow)."""
    assert record.token is not None
    past = datetime.now(UTC) - timedelta(minutes=1)
    return record.model_copy(update={"token": record.token.model_copy(update={"expires_at": past}),
                                     "revision": record.revision + 1})  # a change: the next revision


async def test_an_expired_token_gets_401_expired_and_changes_no_user(running_system):
    record, token, admin_key = tenant_with_token_expiring_tomorrow()
    async with api_of(running_system) as api:
        await publish(running_system.bootstrap_servers, record)
        await wait_for(lambda: accepted(api, token))
        users = await provision_three(api, token, "expiring.example")

        await publish(running_system.bootstrap_servers, expired(record))
        detail = await wait_for(lambda: refusal(api, token))
        assert "expired" in detail
        assert all("expired" in detail for detail in await refused_writes(api, token, users[0], 401))
        assert expect(await api.admin("GET", "/tenant/token", admin_key))["status"] == "expired"

        renewed = expect(await api.admin("POST", "/tenant/token", admin_key,
                                         {"expires_in_days": 90, "replace": True}), 201)
        assert await get_users(api, renewed["token"], [user["id"] for user in users]) == users
        listed = expect(await api.scim("GET", "/Users", renewed["token"]))
        assert sorted(user["userName"] for user in listed["Resources"]) == sorted(u["userName"] for u in users)


async def accepted(api: Api, token: str) -> bool:
    return (await api.scim("GET", "/ServiceProviderConfig", token)).status == 200


async def refusal(api: Api, token: str) -> str | None:
    """The 401's detail once the token is refused, else None."""
    answer = await api.scim("GET", "/ServiceProviderConfig", token)
    return scim_error(answer, 401) if answer.status == 401 else None


# Rule 4: "Manage users through IdP".

async def connection(api: Api, admin_key: str) -> dict[str, Any]:
    return expect(await api.admin("GET", "/tenant/connection", admin_key))


async def switch(api: Api, admin_key: str, status: int = 200, **changes: bool) -> dict[str, Any]:
    return expect(await api.admin("PUT", "/tenant/connection", admin_key, changes), status)


async def test_manage_users_through_idp_is_off_until_the_first_call_and_is_disabled_in_order(running_system):
    async with api_of(running_system) as api:
        acme = await api.onboard("acme")
        fresh = await connection(api, acme.admin_key)
        assert (fresh["manage_users_through_idp"], fresh["set_by_admin"], fresh["first_connected_at"],
                fresh["sso_enabled"]) == (False, False, None, True)
        scim_error(await api.scim("GET", "/Users?count=1", "scf_not-a-token"), 401)  # a failed call: still off
        assert (await connection(api, acme.admin_key))["first_connected_at"] is None

        await connect(api, acme.token)
        on = await connection(api, acme.admin_key)
        assert (on["manage_users_through_idp"], on["set_by_admin"]) == (True, False) and on["first_connected_at"]
        jane = await create_user(api, acme.token, user_body("jane@acme.example"))

        wrong_order = await switch(api, acme.admin_key, 409, sso_enabled=False)
        assert "manage_users_through_idp" in wrong_order["detail"] and "order" in wrong_order["detail"]
        assert (await connection(api, acme.admin_key))["sso_enabled"] is True  # the 409 changed nothing
        off = await switch(api, acme.admin_key, manage_users_through_idp=False)
        assert (off["manage_users_through_idp"], off["set_by_admin"], off["sso_enabled"]) == (False, True, True)
        assert all("Manage users through IdP" in detail
                   for detail in await refused_writes(api, acme.token, jane, 403))
        assert expect(await api.scim("GET", f"/Users/{jane['id']}", acme.token))["userName"] == "jane@acme.example"
        expect(await api.scim("POST", "/Users/.search", acme.token, {"filter": 'userName eq "jane@acme.example"'}))

        assert (await switch(api, acme.admin_key, sso_enabled=False))["sso_enabled"] is False
        sso_reset = await switch(api, acme.admin_key, 409, manage_users_through_idp=True)
        assert "sso_enabled: true" in sso_reset["detail"]
        await switch(api, acme.admin_key, sso_enabled=True)
        assert (await switch(api, acme.admin_key, manage_users_through_idp=True))["manage_users_through_idp"]
        await create_user(api, acme.token, user_body("joe@acme.example"))
        listed = expect(await api.scim("GET", "/Users", acme.token))
        assert sorted(user["userName"] for user in listed["Resources"]) == ["jane@acme.example", "joe@acme.example"]


# Rule 5: the email-change policy.

async def set_email_policy(api: Api, admin_key: str, accept: bool) -> None:
    answer = await api.admin("PUT", "/tenant/policies", admin_key, {"accept_email_changes": accept})
    assert expect(answer) == {"accept_email_changes": accept}


async def test_with_email_changes_refused_put_and_patch_keep_the_stored_emails_and_apply_the_rest(running_system):
    async with api_of(running_system) as api:
        acme = await api.onboard("acme")
        await connect(api, acme.token)
        assert expect(await api.admin("GET", "/tenant/policies", acme.admin_key)) == {"accept_email_changes": True}
        jane = await create_user(api, acme.token,
                                 user_body("jane@acme.example", emails=work_email("jane@acme.example")))
        path = f"/Users/{jane['id']}"

        await set_email_policy(api, acme.admin_key, False)
        put = expect(await api.scim("PUT", path, acme.token, user_body(
            "jane@acme.example", displayName="Jane Doe", emails=work_email("jane.doe@acme.example"))))
        assert (put["displayName"], put["emails"]) == ("Jane Doe", jane["emails"])
        patch = expect(await api.scim("PATCH", path, acme.token, patch_body(
            {"op": "replace", "path": "emails", "value": work_email("jd@acme.example")},
            {"op": "replace", "path": "title", "value": "Engineer"})))
        assert (patch["title"], patch["emails"]) == ("Engineer", jane["emails"])
        stored = expect(await api.scim("GET", path, acme.token))
        assert (stored["displayName"], stored["title"], stored["emails"]) == ("Jane Doe", "Engineer", jane["emails"])

        await set_email_policy(api, acme.admin_key, True)
        patch = expect(await api.scim("PATCH", path, acme.token, patch_body(
            {"op": "replace", "path": "emails", "value": work_email("jd@acme.example")})))
        assert [email["value"] for email in patch["emails"]] == ["jd@acme.example"]
        put = expect(await api.scim("PUT", path, acme.token, user_body(
            "jane@acme.example", displayName="Jane Doe", emails=work_email("jane.doe@acme.example"))))
        assert [email["value"] for email in put["emails"]] == ["jane.doe@acme.example"]
        stored = expect(await api.scim("GET", path, acme.token))
        assert [email["value"] for email in stored["emails"]] == ["jane.doe@acme.example"]


# Rule 6: a tenant's own rate limit.

async def test_over_its_rate_a_tenant_gets_429_with_retry_after_and_retries_create_each_user_once(running_system):
    user_names = [f"user{number:02}@acme.example" for number in range(40)]
    async with api_of(running_system) as api:
        acme = await api.onboard("acme")
        rate = expect(await api.operator("PUT", f"/{acme.tenant_id}/rate-limit", {"requests_per_second": 5}))
        assert rate == {"requests_per_second": 5}
        assert expect(await api.admin("GET", "/tenant", acme.admin_key))["rate_limit_per_second"] == 5
        await connect(api, acme.token)

        refusals: list[Answer] = []
        created = await asyncio.gather(*(create_user(api, acme.token, user_body(name), refusals)
                                         for name in user_names))
        assert refusals, "40 concurrent creates at 5/s (10 in a full bucket) were all let through"
        for refused in refusals:
            assert "Too many requests" in scim_error(refused, 429)
            assert int(refused.headers["Retry-After"]) >= 1
        assert sorted(user["userName"] for user in created) == user_names

        expect(await api.operator("PUT", f"/{acme.tenant_id}/rate-limit", {"requests_per_second": None}))
        listed = expect(await api.scim("GET", "/Users?count=100", acme.token))
        assert listed["totalResults"] == len(user_names)
        assert sorted(user["userName"] for user in listed["Resources"]) == user_names


# Rule 7: tenant isolation.

async def test_another_tenants_token_and_admin_key_cannot_reach_this_tenants_users_or_data(running_system):
    async with api_of(running_system) as api:
        acme, globex = await api.onboard("acme"), await api.onboard("globex")
        for tenant in (acme, globex):
            await connect(api, tenant.token)
        jane = (await get_users(api, acme.token, [(await create_user(
            api, acme.token, user_body("jane@acme.example")))["id"]]))[0]

        path = f"/Users/{jane['id']}"
        scim_error(await api.scim("GET", path, globex.token), 404)
        scim_error(await api.scim("PATCH", path, globex.token,
                                  patch_body({"op": "replace", "path": "active", "value": False})), 404)
        scim_error(await api.scim("DELETE", path, globex.token), 404)
        found = expect(await api.scim("GET", '/Users?filter=userName eq "jane@acme.example"', globex.token))
        assert found["totalResults"] == 0
        assert expect(await api.scim("GET", "/Users", globex.token))["totalResults"] == 0

        mine = expect(await api.admin("GET", "/tenant", globex.admin_key))
        assert (mine["tenant_id"], mine["name"]) == (globex.tenant_id, "globex")
        expect(await api.admin("GET", f"/tenant/admins/{acme.admin_id}", globex.admin_key), 404)
        expect(await api.admin("GET", f"/tenants/{acme.tenant_id}", globex.admin_key), 401)  # operator only
        await wait_for(lambda: synced_user_names(api, acme.admin_key))  # acme's status has jane ...
        assert await synced_user_names(api, globex.admin_key) == []  # ... globex's does not
        history = expect(await api.admin("GET", "/tenant/sync/users/jane@acme.example/history", globex.admin_key))
        assert history["entries"] == []

        assert expect(await api.scim("GET", path, acme.token)) == jane


async def synced_user_names(api: Api, admin_key: str) -> list[str]:
    return [user["user_name"] for user in expect(await api.admin("GET", "/tenant/sync/users", admin_key))["users"]]
