"""SCIM /Users (RFC 7644 §3, RFC 7643 §4.1): owned by the user store."""

from __future__ import annotations

from aiohttp import web

from contracts.topics import USERS_COMMANDS, new_user_key
from contracts.users.v1 import (
    CreateUser,
    DeleteUser,
    GetUser,
    PatchUser,
    QueryUsers,
    ReplaceUser,
    UserDeleted,
    UserPage,
    UserRecord,
)
from services.gateway import keys
from services.gateway.scim.users import parse_user
from services.gateway.scim_api.resources import ResourceApi, ResourceViews
from shared.scim.attributes import USER

USERS = ResourceApi(
    schema=USER, topic=USERS_COMMANDS.name, parse=parse_user,
    # Creates of one userName share a key, so two of them queue behind each other (contracts/topics.py).
    create_key=lambda tenant_id, resource: new_user_key(tenant_id, resource["userName"]),
    create=CreateUser, get=GetUser, replace=ReplaceUser, patch=PatchUser, delete=DeleteUser, query=QueryUsers,
    record=UserRecord, page=UserPage, deleted=UserDeleted,
    write_options=lambda request: {"keep_emails": not accepts_email_changes(request)},
)


def accepts_email_changes(request: web.Request) -> bool:
    """The tenant's policy (the Zoom guide: some vendors ignore email changes from the IdP); default yes."""
    record = request.app[keys.TENANTS].get(request[keys.TENANT_ID])
    return record is None or record.policies.accept_email_changes

views = ResourceViews(USERS)
