"""User store handlers on a real SQLite file: idempotent on message id, tenant-scoped, unique userName."""

import asyncio
import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError
from user_store_support import meta

from contracts import ErrorCode, MessageMeta
from contracts.users.v1 import CreateUser, GetUser, QueryUsers, UserPage, UserRecord
from services.user_store.write_checks import unique_or
from shared.messaging.dispatch import CommandFailed
from shared.messaging.requester import RemoteError, unwrap


async def count_users(dispatch, tenant: str = "t1") -> int:
    return unwrap(await dispatch(QueryUsers(), meta(tenant)), UserPage).total_results


async def test_redelivered_create_returns_the_first_answer_and_creates_once(dispatch):
    command, first_meta = CreateUser(resource={"userName": "bob"}), meta(message_id="m-1")
    first = await dispatch(command, first_meta)
    again = await dispatch(command, first_meta)
    assert first.ok and again == first
    assert await count_users(dispatch) == 1


async def test_a_new_create_with_the_same_user_name_is_uniqueness(dispatch):
    await dispatch(CreateUser(resource={"userName": "Bob"}), meta())
    reply = await dispatch(CreateUser(resource={"userName": "BOB"}), meta())
    assert reply.error.code == ErrorCode.UNIQUENESS


async def test_concurrent_creates_of_one_user_name_make_one_user(dispatch):
    replies = await asyncio.gather(*(dispatch(CreateUser(resource={"userName": "x"}), meta()) for _ in range(8)))
    assert sum(r.ok for r in replies) == 1
    assert {r.error.code for r in replies if not r.ok} == {ErrorCode.UNIQUENESS}


async def test_users_are_scoped_to_their_tenant(dispatch):
    created = unwrap(await dispatch(CreateUser(resource={"userName": "a"}), meta("t1")), UserRecord)
    with pytest.raises(RemoteError) as raised:
        unwrap(await dispatch(GetUser(id=created.id), meta("t2")), UserRecord)
    assert raised.value.code == ErrorCode.NOT_FOUND
    assert await count_users(dispatch, "t2") == 0


async def test_missing_tenant_header_is_refused(dispatch):
    reply = await dispatch(QueryUsers(), MessageMeta(message_type="x"))
    assert reply.error.code == ErrorCode.INVALID_COMMAND


async def test_paging_is_stable_and_complete(dispatch):
    for i in range(25):
        await dispatch(CreateUser(resource={"userName": f"u{i:02}"}), meta())
    pages = [unwrap(await dispatch(QueryUsers(start_index=s, count=10), meta()), UserPage) for s in (1, 11, 21)]
    seen = [r.resource["userName"] for page in pages for r in page.resources]
    assert sorted(seen) == [f"u{i:02}" for i in range(25)] and len(set(seen)) == 25
    assert all(page.total_results == 25 for page in pages)


@pytest.mark.parametrize("error", [sqlite3.IntegrityError("UNIQUE constraint failed: users.tenant_id"),
                                   IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed"))])
def test_a_unique_key_taken_is_the_commands_conflict_whichever_layer_wrote_the_row(error):
    conflict = CommandFailed(ErrorCode.UNIQUENESS, "userName 'ann' is already taken in this tenant")
    with pytest.raises(CommandFailed) as raised, unique_or(conflict):
        raise error
    assert raised.value is conflict
    with pytest.raises(type(error)), unique_or(None):  # no conflict to give: the error is not hidden
        raise error
