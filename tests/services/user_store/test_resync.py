"""An IdP's re-sync that changes nothing (issue 28, item 4): Entra sends every user again every 40 minutes
or so, as the same PUT or a PATCH of the values already stored. The user keeps version and lastModified;
the sync status counts the write on the user's row (``unchanged_syncs``, ``last_checked``) instead of adding
a "synced" entry to their history or moving the tenant's last successful provisioning; and the message
journal, which does hold each write, keeps only the last JOURNAL_RETENTION of them.

The user store and the sync-status reporter run in-process, linked as on the bus (outcomes in batches).
"""

import asyncio
from collections.abc import Iterable
from datetime import timedelta

import pytest
from user_store_support import meta, patch

from contracts import Message, MessageMeta, Reply
from contracts.sync_status.v1 import (
    GetSyncSummary,
    GetUserHistory,
    ListUserStatuses,
    ProvisioningOutcomes,
    SyncSummary,
    UserHistory,
    UserStatusPage,
)
from contracts.users.v1 import CreateUser, PatchUser, ReplaceUser, UserRecord
from services.sync_status.bootstrap import bootstrap as reporter_bootstrap
from services.sync_status.settings import SyncStatusSettings
from services.user_store.bootstrap import bootstrap
from services.user_store.database import create_engine
from services.user_store.outcomes import OutcomeBatches
from services.user_store.tables import ProcessedMessage
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap
from shared.settings import SqliteFile
from shared.sqlite import threaded_session_factory
from shared.store import JOURNAL_RETENTION, prune_journal
from tests.support.clock import FakeClock
from tests.support.seats import direct_seats

USERS = 1_000
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def entra_user(i: int) -> dict:
    return {"schemas": [CORE], "userName": f"user{i}@acme.example", "externalId": f"ext-{i}", "active": True,
            "displayName": f"User {i}", "name": {"givenName": "User", "familyName": str(i)},
            "emails": [{"value": f"user{i}@acme.example", "type": "work", "primary": True}]}


async def each(store, commands: Iterable[Message]) -> list[Reply]:
    """Every command answered, a hundred at a time (as a worker takes records: the outcomes share batches)."""
    replies: list[Reply] = []
    commands = list(commands)
    for start in range(0, len(commands), 100):
        replies += await asyncio.gather(*(store(command, meta()) for command in commands[start:start + 100]))
    assert all(reply.ok for reply in replies), next(reply.error for reply in replies if not reply.ok)
    return replies


async def create_users(store, count: int) -> list[str]:
    return [unwrap(reply, UserRecord).id for reply in await each(store, (CreateUser(resource=entra_user(i))
                                                                         for i in range(count)))]


def same_values(i: int) -> dict:
    return patch({"op": "Replace", "path": "displayName", "value": f"User {i}"},
                 {"op": "replace", "path": "active", "value": True})


async def resync(store, ids: list[str]) -> list[UserRecord]:
    """Entra's cycle: the same PUT for every user, then a PATCH of values already stored."""
    await each(store, (ReplaceUser(id=user_id, resource=entra_user(i)) for i, user_id in enumerate(ids)))
    replies = await each(store, (PatchUser(id=user_id, patch=same_values(i)) for i, user_id in enumerate(ids)))
    return [unwrap(reply, UserRecord) for reply in replies]


@pytest.fixture
async def linked(tmp_path, allocator):
    """(store, reporter, clock): the user store reporting to a sync-status reporter, on one fake clock."""
    clock = FakeClock()
    async with reporter_bootstrap(SyncStatusSettings(data_dir=tmp_path), ServiceIdentity("sync_status", "t"),
                                  clock=clock) as reporter:
        async def send(batch: ProvisioningOutcomes) -> None:
            assert (await reporter(batch, MessageMeta(message_type=batch.TYPE))).ok
        async with bootstrap(SqliteFile(tmp_path / "users.sqlite3"), ServiceIdentity("user_store", "t"), direct_seats(allocator),
                             report=OutcomeBatches(send), clock=clock) as store:
            yield store, reporter, clock


async def history_rows(reporter) -> dict[str, int]:
    async with reporter.deps.uow(read_only=True) as uow:
        rows = (await uow.sql()).all("SELECT action, count(*) FROM provisioning_history GROUP BY action")
    return dict(rows)


async def test_a_no_op_resync_of_1000_users_is_counted_not_recorded_as_synced(linked):
    store, reporter, clock = linked
    created_at = clock()
    ids = await create_users(store, USERS)
    for _ in range(2):
        clock.advance(minutes=40)
        records = await resync(store, ids)
    assert {record.version for record in records} == {1}  # nothing changed: version and lastModified kept
    assert await history_rows(reporter) == {"create": USERS}  # and no "replace"/"patch ... synced" entries
    summary = unwrap(await reporter(GetSyncSummary(), meta()), SyncSummary)
    assert (summary.by_status, summary.last_successful_call) == ({"synced": USERS}, created_at)
    assert (summary.unchanged_syncs, summary.last_checked) == (4 * USERS, clock())  # the IdP did check in
    [user] = unwrap(await reporter(ListUserStatuses(count=1), meta()), UserStatusPage).users
    assert (user.status, user.last_synced, user.unchanged_syncs, user.last_checked) == (
        "synced", created_at, 4, clock())

    clock.advance(minutes=40)  # a real change is history, and the last successful provisioning
    await each(store, [PatchUser(id=ids[7], patch=patch({"op": "replace", "path": "displayName", "value": "Seven"}))])
    entries = unwrap(await reporter(GetUserHistory(user_name="user7@acme.example"), meta()), UserHistory).entries
    assert [(entry.action, entry.status) for entry in entries] == [("patch", "synced"), ("create", "synced")]
    summary = unwrap(await reporter(GetSyncSummary(), meta()), SyncSummary)
    assert summary.last_successful_call == summary.last_checked == clock()


async def test_the_journal_keeps_only_the_last_week_of_resyncs(tmp_path, allocator):
    """Every write is journaled (a redelivery gets its first answer), no-ops too; the journal is pruned
    by age, at the service's clock: over weeks of re-syncs it holds the last JOURNAL_RETENTION of them."""
    clock, path = FakeClock(), tmp_path / "users.sqlite3"
    database = create_engine(path)
    try:
        async with bootstrap(SqliteFile(path), ServiceIdentity("user_store", "t"), direct_seats(allocator),
                             clock=clock) as store:
            ids = await create_users(store, 50)
            sizes = []
            for _ in range(10):  # a cycle (a PUT and a PATCH of each user) every two days
                clock.advance(days=2)
                await resync(store, ids)
                await prune_journal(threaded_session_factory(database), ProcessedMessage, clock())  # as it runs hourly
                async with store.deps.uow(read_only=True) as uow:
                    sizes.append((await uow.sql()).one("SELECT count(*) FROM processed_messages")[0])
    finally:
        await database.dispose()
    assert JOURNAL_RETENTION == timedelta(days=7)
    # creates + cycles of the last 7 days (4 of them, 2 writes per user each): never more
    assert sizes == [50 + 100, 50 + 200, 50 + 300] + [400] * 7
