"""Groups in the user store: members as set operations, the user's read-only groups (RFC 7643 §4.2)."""

import asyncio

import pytest
from user_store_support import create, meta, patch

from contracts import ErrorCode
from contracts.groups.v1 import (
    CreateGroup,
    DeleteGroup,
    GetGroup,
    GroupPage,
    GroupRecord,
    PatchGroup,
    QueryGroups,
    ReplaceGroup,
)
from contracts.users.v1 import DeleteUser, GetUser, QueryUsers, UserPage, UserRecord
from shared.messaging.requester import RemoteError, unwrap
from tests.support.unfinished_write import READ_WITHIN_SECONDS, unfinished_write


async def group(dispatch, name: str = "Sales", members=()) -> GroupRecord:
    resource = {"displayName": name, "members": [{"value": m} for m in members]}
    return unwrap(await dispatch(CreateGroup(resource=resource), meta()), GroupRecord)


def member_ids(record: GroupRecord) -> set[str]:
    return {m["value"] for m in record.resource.get("members", [])}


async def test_members_show_on_the_group_and_as_the_users_groups(dispatch):
    ann = await create(dispatch, "ann", displayName="Ann")
    sales = await group(dispatch, members=[ann.id])
    assert sales.resource["members"] == [{"value": ann.id, "type": "User", "display": "Ann"}]
    user = unwrap(await dispatch(GetUser(id=ann.id), meta()), UserRecord)
    assert user.resource["groups"] == [{"value": sales.id, "display": "Sales", "type": "direct"}]


async def test_entra_adds_and_removes_members_by_patch(dispatch):
    users = [await create(dispatch, f"u{i}") for i in range(5)]
    sales = await group(dispatch)
    add = patch({"op": "Add", "path": "members", "value": [{"$ref": None, "value": u.id} for u in users]})
    added = unwrap(await dispatch(PatchGroup(id=sales.id, patch=add), meta()), GroupRecord)
    assert member_ids(added) == {u.id for u in users} and added.version == sales.version + 1
    remove = patch({"op": "Remove", "path": "members", "value": [{"$ref": None, "value": users[0].id}]})
    removed = unwrap(await dispatch(PatchGroup(id=sales.id, patch=remove), meta()), GroupRecord)
    assert member_ids(removed) == {u.id for u in users[1:]}
    again = unwrap(await dispatch(PatchGroup(id=sales.id, patch=remove), meta()), GroupRecord)
    assert again.version == removed.version


async def test_a_write_whose_reply_will_not_show_members_does_not_carry_them(dispatch):
    """The gateway answers a group PATCH with 204 (include_members=False): the store's reply leaves the
    member list out, and the members are stored all the same."""
    ann = await create(dispatch, "ann")
    sales = await group(dispatch)
    add = patch({"op": "Add", "path": "members", "value": [{"value": ann.id}]})
    added = unwrap(await dispatch(PatchGroup(id=sales.id, patch=add, include_members=False), meta()), GroupRecord)
    assert "members" not in added.resource and added.version == sales.version + 1
    assert member_ids(unwrap(await dispatch(GetGroup(id=sales.id), meta()), GroupRecord)) == {ann.id}
    resource = {"displayName": "Sales", "members": [{"value": ann.id}]}
    replaced = unwrap(await dispatch(ReplaceGroup(id=sales.id, resource=resource, include_members=False), meta()),
                      GroupRecord)
    assert "members" not in replaced.resource


async def test_unknown_or_foreign_members_are_refused_and_nothing_changes(dispatch):
    ann = await create(dispatch, "ann")
    sales = await group(dispatch)
    add = patch({"op": "add", "path": "members", "value": [{"value": ann.id}, {"value": "nobody"}]})
    with pytest.raises(RemoteError) as raised:
        unwrap(await dispatch(PatchGroup(id=sales.id, patch=add), meta()), GroupRecord)
    assert raised.value.code == ErrorCode.INVALID_VALUE and "nobody" in raised.value.detail
    assert member_ids(unwrap(await dispatch(GetGroup(id=sales.id), meta()), GroupRecord)) == set()


async def test_display_names_are_unique_per_tenant(dispatch):
    await group(dispatch, "Sales")
    reply = await dispatch(CreateGroup(resource={"displayName": "SALES"}), meta())
    assert reply.error.code == ErrorCode.UNIQUENESS
    other_tenant = await dispatch(CreateGroup(resource={"displayName": "Sales"}), meta("t2"))
    assert other_tenant.ok


async def test_replace_sets_the_member_set_and_renames(dispatch):
    a, b = await create(dispatch, "a"), await create(dispatch, "b")
    sales = await group(dispatch, members=[a.id])
    resource = {"displayName": "Sales EU", "members": [{"value": b.id}]}
    replaced = unwrap(await dispatch(ReplaceGroup(id=sales.id, resource=resource), meta()), GroupRecord)
    assert replaced.resource["displayName"] == "Sales EU" and member_ids(replaced) == {b.id}


async def test_deleting_a_user_removes_it_from_its_groups(dispatch):
    ann = await create(dispatch, "ann")
    sales = await group(dispatch, members=[ann.id])
    await dispatch(DeleteUser(id=ann.id), meta())
    after = unwrap(await dispatch(GetGroup(id=sales.id), meta()), GroupRecord)
    assert member_ids(after) == set() and after.version == sales.version + 1


async def test_deleting_a_group_clears_the_users_groups(dispatch):
    ann = await create(dispatch, "ann")
    sales = await group(dispatch, members=[ann.id])
    await dispatch(DeleteGroup(id=sales.id), meta())
    assert "groups" not in unwrap(await dispatch(GetUser(id=ann.id), meta()), UserRecord).resource


async def test_excluding_members_skips_them_and_filters_find_by_display_name(dispatch):
    from shared.scim.attributes import GROUP
    from shared.scim.filter_parser import parse_filter

    ann = await create(dispatch, "ann")
    await group(dispatch, "Sales", members=[ann.id])
    await group(dispatch, "Ops")
    query = QueryGroups(filter=parse_filter('displayName eq "sales"', GROUP), include_members=False)
    page = unwrap(await dispatch(query, meta()), GroupPage)
    assert [g.resource["displayName"] for g in page.resources] == ["Sales"]
    assert "members" not in page.resources[0].resource


async def test_reads_answer_beside_an_unfinished_write_and_show_only_what_is_committed(dispatch):
    ann = await create(dispatch, "ann")
    sales = await group(dispatch, members=[ann.id])
    async with unfinished_write(dispatch, "DELETE FROM memberships", "DELETE FROM groups", "DELETE FROM users"):
        async with asyncio.timeout(READ_WITHIN_SECONDS):
            got = unwrap(await dispatch(GetGroup(id=sales.id), meta()), GroupRecord)
            groups = unwrap(await dispatch(QueryGroups(), meta()), GroupPage)
            users = unwrap(await dispatch(QueryUsers(), meta()), UserPage)  # the general path, through the ORM
    assert member_ids(got) == {ann.id} and [member_ids(g) for g in groups.resources] == [{ann.id}]
    assert [(u.id, u.resource["groups"][0]["value"]) for u in users.resources] == [(ann.id, sales.id)]
