"""SCIM Log: the IdP's recent calls as we answered them, what failed and why; never a body or a token."""

from tests.services.gateway.admin_support import user
from tests.services.portal.portal_support import page, page_showing, text_of


async def test_a_refused_call_shows_with_its_status_and_reason_and_no_secret(admin, gw, acme):
    headers = {"Authorization": f"Bearer {acme['token']}"}
    assert (await gw.get("/scim/v2/Users", headers=headers)).status == 200
    body = user("jane@acme.example") | {"password": "hunter2-secret"}
    assert (await gw.post("/scim/v2/Users", json=body, headers=headers)).status == 400  # no product asked
    text = await page_showing(admin, "/scim-log", "POST /scim/v2/Users", "400", timeout=5)
    assert "GET /scim/v2/Users 200" in text and "product" in text.lower()
    html = await page(admin, "/scim-log")
    assert acme["token"] not in html and "hunter2-secret" not in html
    failed_only = text_of(await page(admin, "/scim-log?outcome=failed"))
    assert "POST /scim/v2/Users" in failed_only and "GET /scim/v2/Users" not in failed_only


async def test_the_log_is_reachable_from_the_provisioning_screen(admin):
    html = await page(admin, "/provisioning")
    assert 'href="/scim-log"' in html and "No SCIM call yet" in text_of(await page(admin, "/scim-log"))
