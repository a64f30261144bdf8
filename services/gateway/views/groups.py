"""SCIM /Groups (RFC 7644 §3, RFC 7643 §4.2): owned by the user store, beside the users they hold."""

from __future__ import annotations

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
from services.gateway.views.resources import ResourceApi, ResourceViews
from shared.scim.attributes import GROUP

GROUPS = ResourceApi(
    schema=GROUP, topic=GROUPS_COMMANDS.name, parse=parse_group,
    create_key=lambda tenant_id, resource: new_group_key(tenant_id, resource["displayName"]),
    create=CreateGroup, get=GetGroup, replace=ReplaceGroup, patch=PatchGroup, delete=DeleteGroup,
    query=QueryGroups, record=GroupRecord, page=GroupPage, deleted=GroupDeleted,
    # excludedAttributes=members (Entra, every group read): the store need not load the members.
    read_options=lambda selection: {"include_members": not selection.omits(GROUP.core, "members")},
)

views = ResourceViews(GROUPS)
