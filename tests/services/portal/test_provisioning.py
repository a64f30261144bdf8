"""Auto Provisioning / IdP: the token shown once, replacing only when confirmed, the connection's
order, the email policy, the guide per IdP and the last SCIM call."""

import re

from tests.services.gateway.admin_support import user
from tests.services.portal.portal_support import page, submit, text_of

TOKEN = re.compile(r'id="new-token" type="text" readonly value="(scf_[^"]+)"')


async def generate(admin, days: str = "90", replace: bool = True) -> str:
    fields = {"days": days} | ({"replace": "on"} if replace else {})
    return await (await submit(admin, "/provisioning", "/provisioning/token", fields)).text()


async def test_the_screen_shows_the_base_url_token_status_and_the_toggle(admin, acme):
    text = text_of(await page(admin, "/provisioning"))
    assert acme["scim_base_url"] in text and "Status Active" in text
    assert "Manage Users through IdP: Off" in text  # no SCIM call yet


async def test_a_new_token_is_shown_once_and_works(admin, gw):
    html = await generate(admin, "90")
    assert "you will not see it again" in html
    token = TOKEN.search(html).group(1)
    assert "(expires in 89 days)" in text_of(html) or "(expires in 90 days)" in text_of(html)
    assert token not in await page(admin, "/provisioning")  # a reload no longer shows it
    response = await gw.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200


async def test_replacing_a_live_token_needs_the_confirmation(admin, acme, gw):
    text = text_of(await generate(admin, "180", replace=False))
    assert "There is a problem" in text and "replace" in text.lower()
    assert TOKEN.search(text) is None
    response = await gw.get("/scim/v2/Users", headers={"Authorization": f"Bearer {acme['token']}"})
    assert response.status == 200  # the old token still works
    await generate(admin, "180", replace=True)
    response = await gw.get("/scim/v2/Users", headers={"Authorization": f"Bearer {acme['token']}"})
    assert response.status == 401 and "revoked" in (await response.json())["detail"]


async def test_deleting_the_token_needs_the_box_ticked(admin, acme, gw):
    text = text_of(await (await submit(admin, "/provisioning", "/provisioning/token/delete")).text())
    assert "Tick the box to confirm" in text
    response = await submit(admin, "/provisioning", "/provisioning/token/delete", {"confirm_delete": "on"})
    assert "Token deleted" in text_of(await response.text())
    assert "There is no API token" in text_of(await page(admin, "/provisioning"))


async def test_the_first_scim_call_turns_managing_users_on_and_shows_as_the_last_call(admin, acme, gw):
    headers = {"Authorization": f"Bearer {acme['token']}"}
    assert (await gw.post("/scim/v2/Users", json=user(), headers=headers)).status == 400  # no product asked
    text = text_of(await page(admin, "/provisioning"))
    assert "Manage Users through IdP: On" in text


async def test_sso_reset_before_managing_users_is_off_is_refused_with_the_reason(admin, acme, gw):
    await gw.get("/scim/v2/Users", headers={"Authorization": f"Bearer {acme['token']}"})  # connected: on
    response = await submit(admin, "/provisioning", "/provisioning/connection",
                            {"field": "sso_enabled", "value": "off"})
    text = text_of(await response.text())
    assert "There is a problem" in text and "Manage users through IdP" in text
    await submit(admin, "/provisioning", "/provisioning/connection",
                 {"field": "manage_users_through_idp", "value": "off"})
    response = await submit(admin, "/provisioning", "/provisioning/connection",
                            {"field": "sso_enabled", "value": "off"})
    text = text_of(await response.text())
    assert "Connection saved" in text and "Single Sign On: Reset" in text


async def test_the_email_policy_and_idp_type_are_saved(admin, acme):
    await submit(admin, "/provisioning", "/provisioning/policies", {})  # unticked: ignore email changes
    html = await page(admin, "/provisioning")
    assert 'id="accept_email_changes_box" checked' not in html
    response = await submit(admin, "/provisioning", "/provisioning/idp", {"idp_type": "entra_id"})
    html = await response.text()
    assert "Enter these values in Microsoft Entra ID" in text_of(html)
    assert f'value="{acme["scim_base_url"]}?aadOptscim062020"' in html  # the Tenant URL, ready to copy


async def test_an_unknown_idp_type_is_refused_with_the_apis_words(admin):
    response = await submit(admin, "/provisioning", "/provisioning/idp", {"idp_type": "google"})
    assert "There is a problem" in text_of(await response.text())
