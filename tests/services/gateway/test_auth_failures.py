"""Failed authentication is throttled per credential, and the admin API per caller (issue 28, item 10).

The Admin Portal calls the admin API from one address for everyone: every call here comes from the
test client's one address too, so these tests also show that one person's wrong keys hold back only
the credential they tried, never the others.
"""

import logging

import pytest

from services.gateway.tenancy import auth_failures
from services.gateway.tenancy.auth_failures import (
    OPERATOR,
    WINDOW_SECONDS,
    FailedAuthThrottle,
    credential_of,
)
from tests.services.gateway.admin_support import (
    OPERATOR as OPERATOR_HEADERS,
)
from tests.services.gateway.admin_support import (
    add_admin,
    bearer,
    create_tenant,
    json_ok,
    start_gateway,
    tenant_with_admin,
)
from tests.support.clock import FakeClock

LIMIT = 10  # the default: SCIMFLOW_AUTH_FAILURES_PER_MINUTE
SPC = "/scim/v2/ServiceProviderConfig"


def wrong(secret: str) -> str:
    """The same credential id with another secret: what a guesser who knows the public prefix sends."""
    prefix, credential_id, _ = secret.split("_", 2)
    return f"{prefix}_{credential_id}_{'x' * 43}"


async def statuses(client, method: str, path: str, headers: dict, times: int) -> list[int]:
    return [(await client.request(method, path, headers=headers)).status for _ in range(times)]


def test_a_credential_is_its_public_id_the_operator_key_is_one_and_anything_else_its_hash():
    assert credential_of("Bearer scf_0123abcd0123abcd_secret", operator_route=False) == "scf_0123abcd0123abcd"
    assert credential_of("bearer sca_0123abcd0123abcd_secret", operator_route=False) == "sca_0123abcd0123abcd"
    assert credential_of("Bearer scs_ab_x", operator_route=False) == "scs_ab"
    assert credential_of("Bearer anything at all", operator_route=True) == OPERATOR
    assert credential_of("Bearer sca_0123abcd0123abcd_secret", operator_route=True) == OPERATOR
    hashed = credential_of("Bearer sca_" + "a" * 200 + "_x", operator_route=False)
    assert hashed.startswith("sha256:") and len(hashed) == 71  # an id no credential has: no caller-sized key
    assert credential_of("Bearer not-ours", operator_route=False).startswith("sha256:")
    assert credential_of("Bearer \udcff", operator_route=False).startswith("sha256:")  # bytes that are not UTF-8
    assert credential_of("", operator_route=True) is None and credential_of("Basic abc", operator_route=False) is None


def test_past_the_limit_a_credential_waits_for_its_window_to_end():
    clock = FakeClock()
    throttle = FailedAuthThrottle(per_minute=3, clock=clock)
    for _ in range(3):
        assert throttle.retry_after("sca_a") == 0
        throttle.failed("sca_a")
    assert throttle.retry_after("sca_a") == WINDOW_SECONDS and throttle.retry_after("sca_b") == 0
    clock.advance(seconds=WINDOW_SECONDS - 1)
    assert throttle.retry_after("sca_a") == 1
    clock.advance(seconds=1)
    assert throttle.retry_after("sca_a") == 0


def test_the_counts_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(auth_failures, "MAX_CREDENTIALS", 100)
    throttle = FailedAuthThrottle(per_minute=1, clock=FakeClock())
    for n in range(1000):
        throttle.failed(f"sha256:{n}")
    assert len(throttle._failures) == 100
    assert throttle.retry_after("sha256:999") and not throttle.retry_after("sha256:0")  # the oldest went first


async def test_wrong_secrets_for_a_scim_token_get_429_unchecked_until_the_minute_ends(gw, clock):
    tenant, other = await create_tenant(gw, "acme"), await create_tenant(gw, "other")
    guesses = bearer(wrong(tenant["token"]))
    assert await statuses(gw, "GET", SPC, guesses, LIMIT) == [401] * LIMIT
    refused = await gw.get(SPC, headers=bearer(tenant["token"]))  # the right secret too: it is not checked
    assert refused.status == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    body = await refused.json()
    assert body["status"] == "429" and "failed authentications" in body["detail"]
    assert (await gw.get(SPC, headers=bearer(other["token"]))).status == 200  # same address, another credential
    clock.advance(seconds=WINDOW_SECONDS)
    assert (await gw.get(SPC, headers=bearer(tenant["token"]))).status == 200


async def test_an_expired_token_is_no_guess_and_keeps_its_401_with_the_reason(gw, clock):
    tenant = await create_tenant(gw, "acme", token_expires_in_days=90)
    clock.advance(days=91)
    responses = [await gw.get(SPC, headers=bearer(tenant["token"])) for _ in range(LIMIT + 5)]
    assert [r.status for r in responses] == [401] * (LIMIT + 5)
    assert "expired" in (await responses[-1].json())["detail"]


async def test_wrong_admin_keys_hold_back_that_admin_only(gw, clock):
    tenant, ada = await tenant_with_admin(gw)
    bob = bearer((await add_admin(gw, tenant["tenant_id"], "bob@acme.example"))["admin_key"])
    guesses = {"Authorization": f"Bearer {wrong(ada['Authorization'].split()[1])}"}
    assert await statuses(gw, "GET", "/admin/v1/tenant", guesses, LIMIT) == [401] * LIMIT
    assert (await gw.get("/admin/v1/tenant", headers=ada)).status == 429
    await json_ok(await gw.get("/admin/v1/tenant", headers=bob))  # the portal's other users sign in
    await json_ok(await gw.get("/admin/v1/tenants", headers=OPERATOR_HEADERS))
    clock.advance(seconds=WINDOW_SECONDS)
    await json_ok(await gw.get("/admin/v1/tenant", headers=ada))


async def test_every_wrong_bearer_on_an_operator_route_is_a_try_at_the_one_operator_key(gw, clock):
    _, admin = await tenant_with_admin(gw)
    tries = [bearer(f"guess-{n}") for n in range(LIMIT)]
    assert [(await gw.get("/admin/v1/tenants", headers=h)).status for h in tries] == [401] * LIMIT
    refused = await gw.get("/admin/v1/tenants", headers=OPERATOR_HEADERS)
    assert refused.status == 429 and "Retry-After" in refused.headers
    await json_ok(await gw.get("/admin/v1/tenant", headers=admin))
    clock.advance(seconds=WINDOW_SECONDS)
    await json_ok(await gw.get("/admin/v1/tenants", headers=OPERATOR_HEADERS))


async def test_setup_links_and_sessions_are_counted_too(gw):
    tenant = await create_tenant(gw)
    link = await json_ok(await gw.post(f"/admin/v1/tenants/{tenant['tenant_id']}/setup-link", json={},
                                       headers=OPERATOR_HEADERS), 201)
    guesses = bearer(wrong(link["setup_key"]))
    assert await statuses(gw, "POST", "/admin/v1/setup/redeem", guesses, LIMIT) == [401] * LIMIT
    assert (await gw.post("/admin/v1/setup/redeem", headers=bearer(link["setup_key"]))).status == 429
    made_up = bearer("scs_0123abcd0123abcd_" + "x" * 43)
    assert await statuses(gw, "GET", "/admin/v1/tenant", made_up, LIMIT + 1) == [401] * LIMIT + [429]


async def test_the_limit_is_a_setting_and_reaching_it_is_logged_without_the_secret(aiohttp_client, memory_bus,
                                                                                     tmp_path, clock, caplog):
    gw = await start_gateway(aiohttp_client, memory_bus, tmp_path, clock, auth_failures_per_minute=2)
    tenant = await create_tenant(gw)
    guess = wrong(tenant["token"])
    with caplog.at_level(logging.WARNING, logger="services.gateway.tenancy.auth_failures"):
        assert await statuses(gw, "GET", SPC, bearer(guess), 3) == [401, 401, 429]
    (record,) = caplog.records
    secret = guess.split("_", 2)[2]
    assert record.credential == "_".join(tenant["token"].split("_", 2)[:2]) and secret not in caplog.text


async def test_the_admin_api_is_rate_limited_per_caller(aiohttp_client, memory_bus, tmp_path, clock):
    """A generous default (50 calls a second, bursts of 10 seconds' worth); here 1 a second, bursts of 10."""
    gw = await start_gateway(aiohttp_client, memory_bus, tmp_path, clock, admin_rate_limit_per_second=1)
    tenant, ada = await tenant_with_admin(gw)  # the operator's first two calls
    bob = bearer((await add_admin(gw, tenant["tenant_id"], "bob@acme.example"))["admin_key"])
    assert await statuses(gw, "GET", "/admin/v1/tenant", ada, 11) == [200] * 10 + [429]
    refused = await gw.get("/admin/v1/tenant", headers=ada)
    assert refused.headers["Retry-After"] == "1" and (await refused.json())["detail"].startswith("Too many admin")
    await json_ok(await gw.get("/admin/v1/tenant", headers=bob))
    assert await statuses(gw, "GET", "/admin/v1/tenants", OPERATOR_HEADERS, 8) == [200] * 7 + [429]
    clock.advance(seconds=1)
    await json_ok(await gw.get("/admin/v1/tenant", headers=ada))


@pytest.mark.parametrize("path", ["/healthz", "/openapi/admin.json"])
async def test_unauthenticated_routes_are_not_throttled(gw, path):
    assert set(await statuses(gw, "GET", path, bearer("nope"), LIMIT + 2)) == {200}
