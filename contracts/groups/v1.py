"""Group commands and results, version 1. Groups live in the user store, beside their members.

``resource`` is the Group as the gateway validated it (displayName, externalId, members as
``[{"value": <user id>}, ...]``); in results, ``members`` lists each member's ``value``, ``type``
and ``display``. The tenant is the envelope's ``tenant_id`` header.
"""

from typing import Any

from contracts.base import Command, Query, Result
from contracts.resources import DeleteResource, PatchResource, QueryResources, ResourceDeleted, StoredResource


class CreateGroup(Command):
    TYPE = "groups.create_group.v1"

    resource: dict[str, Any]


class GetGroup(Query):
    TYPE = "groups.get_group.v1"

    id: str
    include_members: bool = True  # False for excludedAttributes=members: big groups stay cheap


class ReplaceGroup(Command):
    TYPE = "groups.replace_group.v1"

    id: str
    resource: dict[str, Any]
    if_match: str | None = None
    include_members: bool = True  # in the reply's record; False when the gateway will not show them


class PatchGroup(PatchResource):
    TYPE = "groups.patch_group.v1"

    include_members: bool = True  # in the reply's record; False when the gateway answers 204


class DeleteGroup(DeleteResource):
    TYPE = "groups.delete_group.v1"


class QueryGroups(QueryResources):
    TYPE = "groups.query_groups.v1"

    include_members: bool = True


class GroupRecord(StoredResource):
    TYPE = "groups.group_record.v1"


class GroupPage(Result):
    TYPE = "groups.group_page.v1"

    total_results: int
    start_index: int
    resources: list[GroupRecord]


class GroupDeleted(ResourceDeleted):
    TYPE = "groups.group_deleted.v1"
