"""The operator's screens: tenants, a tenant's admins, seats and rate, a setup link; and opening it."""

import re

from tests.services.gateway.admin_support import OPERATOR_KEY
from tests.services.portal.portal_support import page, sign_in, submit, text_of

SECRET = r'id="{}" type="text" readonly value="([^"]+)"'


def shown(html: str, field_id: str) -> str:
    found = re.search(SECRET.format(field_id), html)
    assert found, f"no {field_id} on the page"
    return found.group(1)


async def test_the_operator_creates_a_tenant_and_sees_its_token_once(portal, gw):
    await sign_in(portal, OPERATOR_KEY)
    response = await submit(portal, "/operator/tenants", "/operator/tenants", {"name": "globex", "days": "90"})
    html = await response.text()
    token = shown(html, "created-token")
    assert "you will not see it again" in html and shown(html, "created-base-url").endswith("/scim/v2")
    assert (await gw.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})).status == 200
    again = await page(portal, "/operator/tenants")
    assert token not in again and "globex" in text_of(again)


async def test_an_empty_tenant_name_is_refused_next_to_the_field(portal):
    await sign_in(portal, OPERATOR_KEY)
    response = await submit(portal, "/operator/tenants", "/operator/tenants", {"name": ""})
    assert "There is a problem" in text_of(await response.text())


async def test_the_operator_adds_an_admin_whose_key_signs_in(portal, acme, aiohttp_client, gw, tmp_path):
    await sign_in(portal, OPERATOR_KEY)
    here = f"/operator/tenants/{acme['tenant_id']}"
    response = await submit(portal, here, f"{here}/admins", {"admin_name": "Bo", "admin_email": "bo@acme.example"})
    key = shown(await response.text(), "new-admin-key")
    assert key.startswith("sca_") and key not in await page(portal, here)
    from tests.services.portal.portal_support import start_portal
    other_browser = await start_portal(aiohttp_client, gw, tmp_path)
    assert "acme" in text_of(await (await sign_in(other_browser, key)).text())


async def test_the_operator_sells_and_changes_seats_never_below_those_in_use(portal, acme):
    await sign_in(portal, OPERATOR_KEY)
    here = f"/operator/tenants/{acme['tenant_id']}"
    response = await submit(portal, here, f"{here}/products",
                            {"product": "Talent", "seats": "10", "expires_at": "2099-06-30"})
    assert "Talent: seats sold" in text_of(await response.text())
    response = await submit(portal, here, f"{here}/products/Talent", {"seats": "4"})
    text = text_of(await response.text())
    assert "Talent: saved" in text and "0 of 4" in text
    response = await submit(portal, here, f"{here}/products/Talent", {"seats": "many"})
    assert "There is a problem" in text_of(await response.text())


async def test_the_operator_sets_a_tenants_rate(portal, acme):
    await sign_in(portal, OPERATOR_KEY)
    here = f"/operator/tenants/{acme['tenant_id']}"
    response = await submit(portal, here, f"{here}/rate", {"requests_per_second": "25"})
    assert 'value="25.0"' in await response.text()
    response = await submit(portal, here, f"{here}/rate", {"requests_per_second": "-1"})
    assert "There is a problem" in text_of(await response.text())


async def test_a_setup_link_opens_the_idp_screen_once_without_a_key(portal, acme, aiohttp_client, gw, tmp_path):
    await sign_in(portal, OPERATOR_KEY)
    here = f"/operator/tenants/{acme['tenant_id']}"
    link = shown(await (await submit(portal, here, f"{here}/setup-link")).text(), "new-setup-link")
    assert "/setup#scl_" in link  # the secret after '#': never sent to a server, never in a log
    from tests.services.portal.portal_support import start_portal
    it_admin = await start_portal(aiohttp_client, gw, tmp_path)
    response = await submit(it_admin, "/setup", "/setup", {"setup_key": link})
    html = await response.text()
    assert str(response.url).endswith("/provisioning") and "Generate an API token" in text_of(html)
    assert "Email changes" not in text_of(html) and "Subscription Sets" not in text_of(html)  # the IdP screen only
    again = await start_portal(aiohttp_client, gw, tmp_path)
    response = await submit(again, "/setup", "/setup", {"setup_key": link})
    assert "already used" in text_of(await response.text())


async def test_a_refused_seat_count_is_shown_next_to_the_seats_field(portal, acme):
    await sign_in(portal, OPERATOR_KEY)
    here = f"/operator/tenants/{acme['tenant_id']}"
    for typed in ("-5", "--5"):
        response = await submit(portal, here, f"{here}/products",
                                {"product": "Talent", "seats": typed, "expires_at": "2099-06-30"})
        html = await response.text()
        assert 'id="seats-error"' in html and 'id="product-error"' not in html, typed
