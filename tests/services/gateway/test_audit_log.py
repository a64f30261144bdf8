"""Every admin change leaves one structured audit line: who, what, which tenant, how it ended; never a
secret or a body (issue 28, item 10)."""

import logging

import orjson
import pytest

from shared.logging import JsonFormatter
from tests.services.gateway.admin_support import (
    OPERATOR,
    bearer,
    json_ok,
    tenant_with_admin,
)

pytestmark = pytest.mark.usefixtures("seat_allocator")


@pytest.fixture
def audit(caplog):
    """The audit lines so far, as the gateway's JSON log writes them."""
    caplog.set_level(logging.INFO, logger="scimflow.audit")
    formatter = JsonFormatter("gateway")

    def lines() -> list[dict]:
        found = [orjson.loads(formatter.format(r)) for r in caplog.records if r.name == "scimflow.audit"]
        caplog.clear()
        return found
    return lines


def what(line: dict) -> tuple:
    return line["actor"], line["method"], line["route"], line["tenant_id"], line["status"]


async def test_operator_and_admin_changes_say_who_what_where_and_how_they_ended(gw, audit):
    tenant, admin = await tenant_with_admin(gw)
    tenant_id = tenant["tenant_id"]
    await json_ok(await gw.put(f"/admin/v1/tenants/{tenant_id}/rate-limit", json={"requests_per_second": 5},
                               headers=OPERATOR))
    await json_ok(await gw.post(f"/admin/v1/tenants/{tenant_id}/products", headers=OPERATOR, json={
        "product": "Sales", "seats": 5, "expires_at": "2030-01-01T00:00:00Z"}), 201)
    await json_ok(await gw.get(f"/admin/v1/tenants/{tenant_id}", headers=OPERATOR))  # a read: no line
    lines = audit()
    admin_id = (await json_ok(await gw.get("/admin/v1/tenant/admins", headers=admin)))["admins"][0]["admin_id"]
    assert [what(line) for line in lines] == [
        ("operator", "POST", "/admin/v1/tenants", tenant_id, 201),
        ("operator", "POST", "/admin/v1/tenants/{tenant_id}/admins", tenant_id, 201),
        ("operator", "PUT", "/admin/v1/tenants/{tenant_id}/rate-limit", tenant_id, 200),
        ("operator", "POST", "/admin/v1/tenants/{tenant_id}/products", tenant_id, 201),
    ]
    assert all(line["level"] == "info" and line["msg"] == "admin change" and line["audit"] for line in lines)

    await gw.post("/admin/v1/tenant/token", json={"expires_in_days": 90}, headers=admin)  # refused: 409
    await json_ok(await gw.put("/admin/v1/tenant/connection", json={"manage_users_through_idp": True},
                               headers=admin))
    await json_ok(await gw.post("/admin/v1/tenant/subscription-sets", headers=admin,
                                json={"name": "Sales Team", "products": ["Sales"]}), 201)
    await json_ok(await gw.delete("/admin/v1/tenant/subscription-sets/Sales Team", headers=admin))
    actor = f"admin:{admin_id}"
    assert [what(line) for line in audit()] == [
        (actor, "POST", "/admin/v1/tenant/token", tenant_id, 409),
        (actor, "PUT", "/admin/v1/tenant/connection", tenant_id, 200),
        (actor, "POST", "/admin/v1/tenant/subscription-sets", tenant_id, 201),
        (actor, "DELETE", "/admin/v1/tenant/subscription-sets/{name}", tenant_id, 200),
    ]


async def test_setup_links_and_their_sessions_are_named_by_their_public_prefix(gw, audit):
    tenant, _ = await tenant_with_admin(gw)
    link = await json_ok(await gw.post(f"/admin/v1/tenants/{tenant['tenant_id']}/setup-link", json={},
                                       headers=OPERATOR), 201)
    opened = await json_ok(await gw.post("/admin/v1/setup/redeem", headers=bearer(link["setup_key"])))
    session = bearer(opened["session_key"])
    await json_ok(await gw.put("/admin/v1/tenant/connection", json={"idp_type": "okta"}, headers=session))
    assert (await gw.put("/admin/v1/tenant/policies", json={}, headers=session)).status == 403
    link_prefix, session_prefix = ("_".join(key.split("_")[:2]) for key in (link["setup_key"], opened["session_key"]))
    assert [what(line) for line in audit()][2:] == [  # after the tenant and its admin
        ("operator", "POST", "/admin/v1/tenants/{tenant_id}/setup-link", tenant["tenant_id"], 201),
        (f"setup_link:{link_prefix}", "POST", "/admin/v1/setup/redeem", tenant["tenant_id"], 200),
        (f"setup_session:{session_prefix}", "PUT", "/admin/v1/tenant/connection", tenant["tenant_id"], 200),
        (f"setup_session:{session_prefix}", "PUT", "/admin/v1/tenant/policies", tenant["tenant_id"], 403),
    ]


async def test_no_secret_body_or_failed_authentication_reaches_the_audit(gw, audit, caplog):
    tenant, admin = await tenant_with_admin(gw)
    issued = await json_ok(await gw.post("/admin/v1/tenant/token", json={"expires_in_days": 90, "replace": True},
                                         headers=admin), 201)
    await gw.post("/admin/v1/tenants", json={"name": "x"}, headers=bearer("wrong"))  # nobody: no change
    await gw.post("/admin/v1/tenant/no-such-route", json={}, headers=admin)  # no route: no change
    lines = audit()
    assert len(lines) == 3 and lines[-1]["route"] == "/admin/v1/tenant/token"
    text = orjson.dumps(lines).decode()
    for secret in (tenant["token"], issued["token"], admin["Authorization"].split()[1], "admin@acme.example"):
        assert secret not in text
