"""Subscription Sets: the list (products, admin role, members, Created, Modified, Last Synced or
"UnSynced"), and create / edit / delete. The form checks the name and description rules as one types
(from contracts: the same constants the allocator enforces); the allocator's refusal is shown as is."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from contracts.seats.v1 import SET_DESCRIPTION_MAX, SET_NAME_CHARACTERS, SET_NAME_LENGTH
from services.portal.forms import (
    FORM_REFUSED,
    checked,
    form_of,
    refused_or_redirect,
    submit,
)
from services.portal.pages import call, render

RULES = {"name_min": SET_NAME_LENGTH[0], "name_max": SET_NAME_LENGTH[1],
         "name_pattern": f"[{SET_NAME_CHARACTERS}]+", "description_max": SET_DESCRIPTION_MAX}
HERE = "/sets"


def _set_path(name: str) -> str:
    return f"/admin/v1/tenant/subscription-sets/{quote(name, safe='')}"


async def show(request: web.Request) -> web.Response:
    listed = await call(request, "GET", "/admin/v1/tenant/subscription-sets")
    return await render(request, "sets.html", {"sets": listed["sets"]})


async def _form_page(request: web.Request, *, editing: dict | None = None, values: dict | None = None,
                     errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    products = (await call(request, "GET", "/admin/v1/tenant/products"))["products"]
    return await render(request, "set_form.html", {
        "editing": editing, "values": values or editing or {"products": []}, "products": products,
        "rules": RULES, "errors": errors or {}}, status=status)


async def new(request: web.Request) -> web.Response:
    return await _form_page(request)


async def edit(request: web.Request) -> web.Response:
    return await _form_page(request, editing=await call(request, "GET", _set_path(request.match_info["name"])))


async def create(request: web.Request) -> web.Response:
    values = await _values(request)
    _, errors = await submit(request, "name", "POST", "/admin/v1/tenant/subscription-sets", json=values)
    if errors:
        return await _form_page(request, values=values, errors=errors, status=FORM_REFUSED)
    return await refused_or_redirect(request, {}, show, HERE, f"Subscription set \"{values['name']}\" created.")


async def update(request: web.Request) -> web.Response:
    old_name, values = request.match_info["name"], await _values(request)
    _, errors = await submit(request, "name", "PATCH", _set_path(old_name), json=values)
    if errors:
        editing = await call(request, "GET", _set_path(old_name))
        return await _form_page(request, editing=editing, values=values, errors=errors, status=FORM_REFUSED)
    return await refused_or_redirect(request, {}, show, HERE, f"Subscription set \"{values['name']}\" saved.")


async def delete(request: web.Request) -> web.Response:
    """Its members free the seats it gave them: asked to confirm first."""
    name = request.match_info["name"]
    errors = {} if checked(await form_of(request), "confirm_delete") else {
        "confirm_delete": "Tick the box to confirm: the set's members lose the seats it gave them."}
    if not errors:
        _, errors = await submit(request, "confirm_delete", "DELETE", _set_path(name))
    if errors:
        editing = await call(request, "GET", _set_path(name))
        return await _form_page(request, editing=editing, errors=errors, status=FORM_REFUSED)
    return await refused_or_redirect(request, {}, show, HERE, f"Subscription set \"{name}\" deleted.")


async def _values(request: web.Request) -> dict:
    posted = await request.post()
    form = await form_of(request)
    return {"name": form.get("name", ""), "description": form.get("description", ""),
            "products": [p for p in posted.getall("products", []) if isinstance(p, str)],
            "admin_role": checked(form, "admin_role")}
