"""User store writes: replace, patch, delete, If-Match, and unchanged re-syncs (RFC 7644 §3.5, §3.6, §3.14)."""

import pytest
from user_store_support import create, meta, patch, stored

from contracts import ErrorCode
from contracts.users.v1 import (
    DeleteUser,
    GetUser,
    PatchUser,
    QueryUsers,
    ReplaceUser,
    UserDeleted,
    UserPage,
    UserRecord,
)
from shared.messaging.requester import RemoteError, unwrap
from shared.scim.attributes import USER
from shared.scim.filter_parser import parse_filter


async def failure(dispatch, command, **kwargs) -> ErrorCode:
    with pytest.raises(RemoteError) as raised:
        unwrap(await dispatch(command, meta(**kwargs)), UserRecord)
    return raised.value.code


async def test_replace_bumps_the_version_only_when_something_changed(dispatch):
    """Entra re-sends the same state every ~40 minutes: version and lastModified must stay."""
    user = await create(dispatch)
    same = unwrap(await dispatch(ReplaceUser(id=user.id, resource=stored(user)), meta()), UserRecord)
    assert (same.version, same.last_modified) == (user.version, user.last_modified)
    changed = {**stored(user), "title": "Boss"}
    replaced = unwrap(await dispatch(ReplaceUser(id=user.id, resource=changed), meta()), UserRecord)
    assert replaced.version == user.version + 1 and replaced.resource["title"] == "Boss"


async def test_patch_deactivates_with_entra_strings_and_a_repeat_changes_nothing(dispatch):
    user = await create(dispatch)
    body = patch({"op": "Replace", "path": "active", "value": "False"})
    first = unwrap(await dispatch(PatchUser(id=user.id, patch=body), meta()), UserRecord)
    again = unwrap(await dispatch(PatchUser(id=user.id, patch=body), meta()), UserRecord)
    assert first.resource["active"] is False and first.version == user.version + 1
    assert (again.version, again.last_modified) == (first.version, first.last_modified)


@pytest.mark.parametrize("operation", [{"op": "remove", "path": "active"},
                                       {"op": "replace", "value": {"active": None}}])
async def test_a_patch_taking_active_away_leaves_the_user_saying_it_is_active(dispatch, operation):
    """Absent ``active`` means active (as a POST or PUT without it): the stored user says so, so that
    ``active eq true`` finds whom the seats and scimActive count as active."""
    user = await create(dispatch, active=False)
    record = unwrap(await dispatch(PatchUser(id=user.id, patch=patch(operation)), meta()), UserRecord)
    assert record.resource["active"] is True
    page = unwrap(await dispatch(QueryUsers(filter=parse_filter("active eq true", USER)), meta()), UserPage)
    assert [r.id for r in page.resources] == [user.id]


async def test_a_failing_patch_changes_nothing(dispatch):
    """RFC 7644 §3.5.2: all operations or none."""
    user = await create(dispatch)
    body = patch({"op": "replace", "path": "title", "value": "X"}, {"op": "replace", "path": "active", "value": "?"})
    assert await failure(dispatch, PatchUser(id=user.id, patch=body)) == ErrorCode.INVALID_VALUE
    assert unwrap(await dispatch(GetUser(id=user.id), meta()), UserRecord) == user


async def test_renaming_onto_a_taken_user_name_is_uniqueness(dispatch):
    await create(dispatch, "taken")
    user = await create(dispatch, "free")
    body = patch({"op": "replace", "path": "userName", "value": "TAKEN"})
    assert await failure(dispatch, PatchUser(id=user.id, patch=body)) == ErrorCode.UNIQUENESS


@pytest.mark.parametrize("command_type", ["replace", "patch", "delete"])
async def test_if_match_with_an_old_version_is_refused(dispatch, command_type):
    user = await create(dispatch)
    await dispatch(ReplaceUser(id=user.id, resource={**user.resource, "title": "v2"}), meta())
    commands = {
        "replace": ReplaceUser(id=user.id, resource=user.resource, if_match='W/"1"'),
        "patch": PatchUser(id=user.id, patch=patch({"op": "add", "path": "title", "value": "x"}), if_match='W/"1"'),
        "delete": DeleteUser(id=user.id, if_match='W/"1"'),
    }
    assert await failure(dispatch, commands[command_type]) == ErrorCode.PRECONDITION_FAILED
    current = ReplaceUser(id=user.id, resource=user.resource, if_match='W/"2"')
    assert unwrap(await dispatch(current, meta()), UserRecord).version == 3


async def test_delete_then_get_is_not_found_and_a_redelivered_delete_gets_the_first_answer(dispatch):
    user = await create(dispatch)
    command, first_meta = DeleteUser(id=user.id), meta(message_id="del-1")
    assert unwrap(await dispatch(command, first_meta), UserDeleted).id == user.id
    assert unwrap(await dispatch(command, first_meta), UserDeleted).id == user.id
    assert await failure(dispatch, GetUser(id=user.id)) == ErrorCode.NOT_FOUND
    assert await failure(dispatch, DeleteUser(id=user.id)) == ErrorCode.NOT_FOUND


async def test_writes_to_another_tenants_user_are_not_found(dispatch):
    user = await create(dispatch)
    assert await failure(dispatch, DeleteUser(id=user.id), tenant="t2") == ErrorCode.NOT_FOUND
    assert await failure(dispatch, ReplaceUser(id=user.id, resource=user.resource), tenant="t2") == ErrorCode.NOT_FOUND


async def test_query_filters_and_sorts_in_sql(dispatch):
    from shared.scim.attributes import USER
    from shared.scim.filter_parser import parse_filter

    for name, title in (("c", "Eng"), ("a", "Eng"), ("b", "Ops")):
        await create(dispatch, name, title=title)
    query = QueryUsers(filter=parse_filter('title eq "eng"', USER), sort_by=USER.resolve("userName"),
                       descending=True)
    page = unwrap(await dispatch(query, meta()), UserPage)
    assert [r.resource["userName"] for r in page.resources] == ["c", "a"] and page.total_results == 2


@pytest.mark.parametrize("sort_by", ["groups", "groups.display", "meta", "name", "addresses"])
async def test_sorting_on_what_cannot_be_ordered_is_the_clients_error(dispatch, sort_by):
    """The gateway checks that sortBy names an attribute; that it can be ordered by, only the store can tell:
    400 invalidValue, never the 500 of a crashed handler."""
    from shared.scim.attributes import USER

    await create(dispatch, "a")
    assert await failure(dispatch, QueryUsers(sort_by=USER.resolve(sort_by))) == ErrorCode.INVALID_VALUE


async def test_no_user_grows_past_what_a_reply_can_carry(dispatch):
    """A user over MAX_USER_BYTES is refused (413), created or grown by PATCHes, so every stored user fits
    in a reply: one that did not would fail every later read of it, and every page holding it."""
    from services.user_store.handlers import MAX_USER_BYTES

    third = "n" * (MAX_USER_BYTES // 3)
    with pytest.raises(RemoteError) as raised:
        await create(dispatch, "big", nickName="n" * MAX_USER_BYTES)
    assert raised.value.code == ErrorCode.TOO_LARGE
    user = await create(dispatch, "grows", nickName=third)
    body = patch({"op": "add", "path": "addresses", "value": [{"streetAddress": third}, {"locality": third}]})
    assert await failure(dispatch, PatchUser(id=user.id, patch=body)) == ErrorCode.TOO_LARGE
    assert unwrap(await dispatch(GetUser(id=user.id), meta()), UserRecord) == user
    page = unwrap(await dispatch(QueryUsers(), meta()), UserPage)
    assert [record.resource["userName"] for record in page.resources] == ["grows"]


async def test_keep_emails_leaves_the_stored_emails_whatever_the_idp_sends(dispatch):
    """Tenant policy "ignore email changes" (the Zoom guide): other attributes still change."""
    emails = [{"value": "ann@old.example", "type": "work"}]
    # in the stored form the gateway sends (schemas included), so an unchanged patch is "no change"
    user = await create(dispatch, emails=emails, schemas=["urn:ietf:params:scim:schemas:core:2.0:User"])
    new = {**stored(user), "title": "Boss", "emails": [{"value": "ann@new.example", "type": "work"}]}
    replaced = unwrap(await dispatch(ReplaceUser(id=user.id, resource=new, keep_emails=True), meta()), UserRecord)
    assert replaced.resource["emails"] == emails and replaced.resource["title"] == "Boss"
    body = patch({"op": "replace", "path": 'emails[type eq "work"].value', "value": "x@new.example"})
    patched = unwrap(await dispatch(PatchUser(id=user.id, patch=body, keep_emails=True), meta()), UserRecord)
    assert patched.resource["emails"] == emails and patched.version == replaced.version
    applied = unwrap(await dispatch(PatchUser(id=user.id, patch=body), meta()), UserRecord)
    assert applied.resource["emails"][0]["value"] == "x@new.example"
