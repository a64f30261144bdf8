"""Signing in with an admin key or the operator key, wrong keys, sign-out, session cookie, CSRF."""

from tests.services.gateway.admin_support import OPERATOR_KEY
from tests.services.portal.portal_support import page, sign_in, submit, text_of


async def test_a_page_before_sign_in_leads_to_the_sign_in_form(portal):
    response = await portal.get("/users")
    assert str(response.url).endswith("/signin")
    assert "Admin key" in text_of(await response.text())


async def test_an_admin_signs_in_with_their_key_and_sees_their_tenant(portal, acme):
    response = await sign_in(portal, acme["admin_key"])
    text = text_of(await response.text())
    assert str(response.url).endswith("/") and "Overview" in text and "acme" in text
    assert acme["admin_key"] not in await response.text()  # the key stays on the server


async def test_the_session_cookie_is_httponly_and_samesite_strict(portal, acme):
    token_page = await portal.get("/signin")
    response = await portal.post("/signin", allow_redirects=False, data={
        "key": acme["admin_key"], "csrf_token": token_page.cookies["scimflow_portal_signin"].value})
    assert response.status == 303
    cookie = response.cookies["scimflow_portal"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["secure"]
    assert acme["admin_key"] not in cookie.value


async def test_the_operator_signs_in_with_the_operator_key(portal):
    response = await sign_in(portal, OPERATOR_KEY)
    assert str(response.url).endswith("/operator/tenants") and "Tenants" in text_of(await response.text())


async def test_a_wrong_key_says_so_next_to_the_field(portal):
    response = await sign_in(portal, "sca_nope_nope")
    text = text_of(await response.text())
    assert "There is a problem" in text and "That key is not valid" in text
    assert str(response.url).endswith("/signin")


async def test_after_three_wrong_keys_the_next_try_must_wait(portal, acme):
    for _ in range(3):
        await sign_in(portal, "sca_wrong_key")
    response = await sign_in(portal, acme["admin_key"])  # even the right key waits its turn
    assert response.status == 429 and "Too many wrong keys" in text_of(await response.text())


async def test_sign_out_ends_the_session(admin):
    response = await submit(admin, "/", "/signout")
    assert "You are signed out" in text_of(await response.text())
    assert str((await admin.get("/provisioning")).url).endswith("/signin")


async def test_a_form_posted_without_its_csrf_token_is_refused(admin):
    response = await admin.post("/provisioning/token", data={"days": "90", "replace": "on"})
    assert response.status == 403 and "did not come from this portal" in text_of(await response.text())
    response = await admin.post("/provisioning/token", data={"days": "90", "replace": "on", "csrf_token": "forged"})
    assert response.status == 403
    assert "Active" in text_of(await page(admin, "/provisioning"))  # nothing was replaced


async def test_a_revoked_admin_key_ends_the_session(admin, gw, acme):
    tenant = (await (await gw.get("/admin/v1/tenant", headers={"Authorization": f"Bearer {acme['admin_key']}"}))
              .json())
    admin_id = tenant["admins"][0]["admin_id"]
    await gw.delete(f"/admin/v1/tenant/admins/{admin_id}", headers={"Authorization": f"Bearer {acme['admin_key']}"})
    response = await admin.get("/sets")
    assert str(response.url).endswith("/signin?reason=expired") and "Sign in again" in text_of(await response.text())


async def test_a_key_the_api_holds_back_says_so_on_the_form(portal, gw, acme):
    """Someone elsewhere tried wrong secrets under this admin key's public id: the admin API answers 429 for
    it a while (issue 28), and the sign-in form says that in the API's words instead of an error page."""
    prefix, key_id, _ = acme["admin_key"].split("_", 2)
    for _ in range(10):
        await gw.get("/admin/v1/tenant", headers={"Authorization": f"Bearer {prefix}_{key_id}_{'x' * 43}"})
    response = await sign_in(portal, acme["admin_key"])
    text = text_of(await response.text())
    assert response.status == 429 and "There is a problem" in text and "Too many failed authentications" in text
