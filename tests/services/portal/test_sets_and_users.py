"""Subscription Sets and Users: the list, forms checked by the API's own rules, escaping, a user's
vendor attributes changed through the admin API."""

import re
from urllib.parse import quote

from tests.services.gateway.admin_support import user
from tests.services.portal.portal_support import page, page_showing, submit, text_of

EXTENSION = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"


async def create_set(admin, name: str, description: str = "", products=("Sales",), admin_role: bool = False):
    fields = [("name", name), ("description", description), *(("products", p) for p in products)]
    if admin_role:
        fields.append(("admin_role", "on"))
    return await submit(admin, "/sets/new", "/sets/new", fields)


async def scim_user(gw, acme, user_name: str, products=("Sales",)) -> dict:
    body = user(user_name) | {EXTENSION: {"products": list(products)}}
    response = await gw.post("/scim/v2/Users", json=body, headers={"Authorization": f"Bearer {acme['token']}"})
    assert response.status == 201, await response.text()
    return await response.json()


async def test_a_new_set_shows_unsynced_with_its_products_and_admin_role(admin):
    response = await create_set(admin, "Sales Team", "The sales people", admin_role=True)
    text = text_of(await response.text())
    assert 'Subscription set "Sales Team" created' in text
    assert "Sales Team The sales people Sales Yes 0" in text and "UnSynced" in text


async def test_the_form_carries_the_rules_and_the_api_refusal_shows_next_to_the_name(admin):
    form = await page(admin, "/sets/new")
    assert 'minlength="3" maxlength="35"' in form and 'maxlength="45"' in form  # checked as one types
    response = await create_set(admin, "No/slash")
    text = text_of(await response.text())
    assert "There is a problem" in text and "/" in text
    assert 'value="No/slash"' in await response.text()  # what was typed stays


async def test_a_set_is_edited_and_deleted_only_when_confirmed(admin):
    await create_set(admin, "Sales Team")
    response = await submit(admin, "/sets/Sales%20Team/edit", "/sets/Sales%20Team/edit",
                            [("name", "Sales Team"), ("description", "changed"), ("products", "Sales")])
    assert "Sales Team changed" in text_of(await response.text())
    response = await submit(admin, "/sets/Sales%20Team/edit", "/sets/Sales%20Team/delete")
    assert "Tick the box to confirm" in text_of(await response.text())
    response = await submit(admin, "/sets/Sales%20Team/edit", "/sets/Sales%20Team/delete", {"confirm_delete": "on"})
    assert "No subscription set yet" in text_of(await response.text())


async def test_users_show_their_status_and_are_found_by_username_or_email(admin, gw, acme):
    await scim_user(gw, acme, "jane@acme.example")
    await scim_user(gw, acme, "bob@acme.example")
    await page_showing(admin, "/users", "jane@acme.example", "bob@acme.example", "synced")
    found = text_of(await page(admin, "/users?search=JANE"))
    assert "jane@acme.example" in found and "bob@acme.example" not in found


async def test_a_refused_create_is_listed_by_username_with_the_reason(admin, gw, acme):
    for name in ("a@acme.example", "b@acme.example", "c@acme.example"):
        await scim_user(gw, acme, name)
    response = await gw.post("/scim/v2/Users", headers={"Authorization": f"Bearer {acme['token']}"},
                             json=user("d@acme.example") | {EXTENSION: {"products": ["Sales"]}})
    assert response.status == 400
    text = await page_showing(admin, "/users?status=failed", "d@acme.example")
    assert "failed" in text and "a@acme.example" not in text
    assert "Sales" in text and "seat" in text.lower()


async def test_what_an_idp_typed_is_shown_as_text_never_as_markup(admin, gw, acme):
    await scim_user(gw, acme, "<script>alert(1)</script>@x.example")
    await page_showing(admin, "/users", "<script>alert(1)</script>@x.example")  # as text
    html = await page(admin, "/users")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@x.example" in html


async def test_the_history_panel_lists_what_the_idp_asked(admin, gw, acme):
    await scim_user(gw, acme, "jane@acme.example")
    await page_showing(admin, "/users", "jane@acme.example")
    response = await admin.get("/users/history?user_name=jane%40acme.example", headers={"HX-Request": "true"})
    html = await response.text()
    assert "<html" not in html  # a fragment for htmx to swap in
    assert "History of jane@acme.example" in text_of(html) and "create" in text_of(html)
    assert "History of jane@acme.example" in text_of(await page(admin, "/users/history?user_name=jane%40acme.example"))


async def test_the_admin_changes_a_users_role_and_credits(admin, gw, acme):
    created = await scim_user(gw, acme, "jane@acme.example")
    path = f"/users/{quote(created['id'])}"
    response = await submit(admin, path, path, [("role", "Admin"), ("user_credit", "Limited"),
                                                ("credit_limit", "1000"), ("reset_usage", "Monthly"),
                                                ("products", "Sales")])
    html = await response.text()
    assert "Saved." in text_of(html)
    assert re.search(r'<option selected>Admin</option>', html) and 'value="1000"' in html
    scim = await (await gw.get(f"/scim/v2/Users/{created['id']}",
                               headers={"Authorization": f"Bearer {acme['token']}"})).json()
    assert scim[EXTENSION]["role"] == "Admin" and scim[EXTENSION]["creditLimit"] == 1000


async def test_a_credit_limit_that_is_not_a_number_is_refused_in_words(admin, gw, acme):
    created = await scim_user(gw, acme, "jane@acme.example")
    path = f"/users/{quote(created['id'])}"
    response = await submit(admin, path, path, [("credit_limit", "lots"), ("products", "Sales")])
    assert "Enter the credit limit as a whole number" in text_of(await response.text())


async def test_taking_a_product_without_a_free_seat_is_refused_with_the_reason(admin, gw, acme):
    created = await scim_user(gw, acme, "jane@acme.example", products=("Sales",))
    path = f"/users/{quote(created['id'])}"
    response = await submit(admin, path, path, [("products", "Sales"), ("products", "Talent")])
    text = text_of(await response.text())
    assert "There is a problem" in text and "Talent" in text


async def test_an_idp_re_sync_that_changes_nothing_shows_as_checked_not_as_a_change(admin, gw, acme):
    created = await scim_user(gw, acme, "jane@acme.example")
    await page_showing(admin, "/users", "jane@acme.example", "synced")
    headers = {"Authorization": f"Bearer {acme['token']}"}
    same = {key: value for key, value in created.items() if key not in ("id", "meta")}
    assert (await gw.put(f"/scim/v2/Users/{created['id']}", json=same, headers=headers)).status == 200
    text = await page_showing(admin, "/", "(1 re-syncs found nothing to change)")
    assert "Last checked by the IdP never" not in text
    history = text_of(await page(admin, "/users/history?user_name=jane%40acme.example"))
    assert "replace" not in history  # not recorded as a change
