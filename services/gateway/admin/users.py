"""One user's vendor attributes in the admin API: read them, and change what the admin manages (role,
credits, products).

A change is the user store's own PATCH of the user (marked as the admin's), so it meets the seat
rules an IdP's PATCH meets (products take seats all or nothing; a refusal is a 400 with the reason)
and the sync status records it in the user's history as "admin: <attribute>".
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contracts import Message
from contracts.topics import USERS_COMMANDS, resource_key
from contracts.users.v1 import GetUser, PatchUser, UserRecord
from services.gateway import keys
from services.gateway.admin.asks import ask_service
from services.gateway.admin.bodies import UserSettingsChange, iso, parse, sent
from services.gateway.middlewares import read_json
from shared.scim.vendor import (
    effective_role,
    extension_of,
    extension_patch,
    primary_email,
)

#: The admin API's names -> the vendor extension's.
SETTINGS = {"role": "role", "user_credit": "userCredit", "credit_limit": "creditLimit",
            "reset_usage": "resetUsage", "products": "products"}


async def show_user(request: web.Request) -> web.Response:
    return web.json_response(user_json(await ask_user_store(request, GetUser(id=_user_id(request)))))


async def change_user(request: web.Request) -> web.Response:
    """Only the fields sent change; an empty body changes nothing and answers the user as they are."""
    changes = sent(parse(UserSettingsChange, await read_json(request)))
    if not changes:
        return await show_user(request)
    patch = extension_patch({SETTINGS[name]: value for name, value in changes.items()})
    record = await ask_user_store(request, PatchUser(id=_user_id(request), patch=patch, by_admin=True))
    return web.json_response(user_json(record))


async def ask_user_store(request: web.Request, command: Message) -> UserRecord:
    """Asked for the admin's tenant, keyed like the user's SCIM commands, so it stays in order with them;
    another tenant's user is not found (404)."""
    tenant_id = request[keys.TENANT_ID]
    return await ask_service(request, USERS_COMMANDS.name, resource_key(tenant_id, _user_id(request)), tenant_id,
                             command, UserRecord)


def _user_id(request: web.Request) -> str:
    return request.match_info["user_id"]


def user_json(record: UserRecord) -> dict[str, Any]:
    resource = record.resource
    extension, name = extension_of(resource), resource.get("name") or {}
    return {
        "id": record.id, "user_name": resource["userName"], "display_name": resource.get("displayName"),
        "given_name": name.get("givenName"), "family_name": name.get("familyName"),
        "email": primary_email(resource),
        "emails": [email["value"] for email in resource.get("emails") or () if email.get("value")],
        "external_id": resource.get("externalId"),
        "scim_active": extension.get("scimActive"), "platform_active": extension.get("platformActive"),
        "subscription_set": extension.get("subscriptionSet"), "effective_role": effective_role(resource),
        "role": extension.get("role"), "user_credit": extension.get("userCredit"),
        "credit_limit": extension.get("creditLimit"), "reset_usage": extension.get("resetUsage"),
        "products": extension.get("products") or [],
        "created": iso(record.created), "last_modified": iso(record.last_modified), "version": record.version,
    }
