"""SCIM /Groups (RFC 7644 §3, RFC 7643 §4.2): owned by the user store, beside the users they hold."""

from __future__ import annotations

from aiohttp import web

from contracts.groups.v1 import (
    CreateGroup,
    DeleteGroup,
    GetGroup,
    GroupDeleted,
    GroupPage,
    GroupRecord,
    PatchGroup,
    QueryGroups,
    ReplaceGroup,
)
from contracts.topics import GROUPS_COMMANDS, new_group_key
from services.gateway.scim.groups import parse_group
from services.gateway.scim_api.resources import (
    ResourceApi,
    ResourceViews,
    asks_for_resource,
    selection_of,
)
from shared.scim.attributes import GROUP


def members_in_reply(request: web.Request) -> dict[str, bool]:
    """The store loads a group's members for a write's reply only when they are shown: a PATCH answers 204
    unless it asks for the group, and excludedAttributes=members leaves them out."""
    shown = not selection_of(request, GROUP).omits(GROUP.core, "members")
    return {"include_members": shown and (request.method != "PATCH" or asks_for_resource(request))}


GROUPS = ResourceApi(
    schema=GROUP, topic=GROUPS_COMMANDS.name, parse=parse_group,
    create_key=lambda tenant_id, resource: new_group_key(tenant_id, resource["displayName"]),
    create=CreateGroup, get=GetGroup, replace=ReplaceGroup, patch=PatchGroup, delete=DeleteGroup,
    query=QueryGroups, record=GroupRecord, page=GroupPage, deleted=GroupDeleted,
    # excludedAttributes=members (Entra, every group read): the store need not load the members.
    read_options=lambda selection: {"include_members": not selection.omits(GROUP.core, "members")},
    write_options=members_in_reply,
    patch_answers_no_content=True,
)

views = ResourceViews(GROUPS)
