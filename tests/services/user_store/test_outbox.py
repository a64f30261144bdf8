"""The user store's transactional outbox (shared/events/outbox.py): a change's events are written in its own
transaction, so exactly the committed changes emit, each once, under a stable id."""

import asyncio

import pytest
from user_store_support import Crash, create, meta, patch, subscribe

from contracts import ErrorCode
from contracts.groups.v1 import (
    CreateGroup,
    DeleteGroup,
    GroupRecord,
    PatchGroup,
    ReplaceGroup,
)
from contracts.users.v1 import (
    CreateUser,
    DeleteUser,
    PatchUser,
    ReplaceUser,
    UserRecord,
)
from services.user_store.bootstrap import bootstrap
from services.user_store.unit_of_work import Journal
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import RemoteError, unwrap
from shared.scim.schemas import EXTENSION_SCHEMA
from shared.settings import SqliteFile
from tests.shared.events.outbox_support import outbox as outbox_rows
from tests.shared.events.outbox_support import published as all_published
from tests.support.events import RecordingPublisher, until
from tests.support.seats import direct_seats

USER = "scimflow.user."
GROUP = "scimflow.group."


@pytest.fixture
def database() -> dict[str, str]:
    """SQLite alone: the outbox is read from the store's file as another process's relay would (outbox_support)."""
    return {}


def outbox(tmp_path) -> list[tuple[str, str, dict]]:
    """The store's outbox rows as another process reads them (committed only): key, writer, event."""
    return outbox_rows(tmp_path / "users.sqlite3")


async def published(events: RecordingPublisher, tmp_path) -> dict[str, list[str]]:
    """Each subject's event types once the relay has published everything the store committed."""
    return await all_published(events, tmp_path / "users.sqlite3")


async def test_a_create_writes_its_event_with_the_user_and_the_relay_deletes_it_once_acknowledged(
        dispatch, events, tmp_path):
    events.hold()
    command_meta = meta(message_id="m-1")
    ann = unwrap(await dispatch(CreateUser(resource={"userName": "ann"}), command_meta), UserRecord)
    [(key, writer, event)] = outbox(tmp_path)
    assert (key, writer) == (f"t1:{ann.id}", "t")
    assert {name: event[name] for name in ("id", "type", "subject", "tenantid", "source")} == {
        "id": "m-1-0", "type": "scimflow.user.created", "subject": ann.id, "tenantid": "t1",
        "source": "scimflow/user_store"}
    assert event["data"]["id"] == ann.id and event["data"]["userName"] == "ann"
    await until(lambda: events.in_flight == 1)
    assert outbox(tmp_path) and events.sent == []  # sent, not acknowledged: kept
    events.release()
    assert await published(events, tmp_path) == {ann.id: [USER + "created"]}
    [sent] = events.sent
    assert sent.topic == "scimflow.events" and sent.key == f"t1:{ann.id}"
    assert dict(sent.headers)["content-type"].startswith(b"application/cloudevents+json")


async def test_a_write_undone_after_its_event_was_written_leaves_neither(dispatch, events, tmp_path, monkeypatch):
    async def crash(self, message_id, result):
        raise Crash
    monkeypatch.setattr(Journal, "record_result", crash)
    with pytest.raises(Crash):
        await dispatch(CreateUser(resource={"userName": "ann"}), meta())
    assert outbox(tmp_path) == [] and events.sent == []


async def test_a_create_refused_for_want_of_a_seat_emits_nothing(dispatch, allocator, events, tmp_path):
    await subscribe(allocator, "Sales", 1)
    seated = {EXTENSION_SCHEMA: {"products": ["Sales"]}}
    ann = await create(dispatch, "ann", **seated)
    with pytest.raises(RemoteError, match="no free seat"):
        await create(dispatch, "bob", **seated)
    assert await published(events, tmp_path) == {ann.id: [USER + "created"]}


async def test_racing_creates_of_one_user_name_emit_one_created(dispatch, events, tmp_path):
    replies = await asyncio.gather(*(dispatch(CreateUser(resource={"userName": "x"}), meta()) for _ in range(8)))
    [created] = [reply.result["id"] for reply in replies if reply.ok]
    assert await published(events, tmp_path) == {created: [USER + "created"]}


async def test_an_okta_users_life_emits_one_event_per_change_and_none_for_a_resync(dispatch, events, tmp_path):
    ann = await create(dispatch, "ann")
    changed = {"userName": "ann", "active": True, "title": "Head of Sales"}
    for _ in range(2):  # the second PUT finds the user as asked
        await dispatch(ReplaceUser(id=ann.id, resource=changed), meta())
    for active in (False, False, True, True):
        reply = await dispatch(PatchUser(id=ann.id, patch=patch({"op": "replace", "value": {"active": active}})),
                               meta())
        assert reply.ok, reply.error
    await dispatch(ReplaceUser(id=ann.id, resource={**changed, "active": False}), meta())
    await dispatch(DeleteUser(id=ann.id), meta())
    assert await published(events, tmp_path) == {ann.id: [USER + kind for kind in (
        "created", "updated", "deactivated", "reactivated", "deactivated", "deleted")]}
    deleted = events.events()[-1]
    assert deleted.data["userName"] == "ann" and deleted.data["active"] is False  # as last stored


async def test_a_refused_or_missing_write_emits_nothing(dispatch, events, tmp_path):
    ann = await create(dispatch, "ann")
    reply = await dispatch(ReplaceUser(id=ann.id, resource={"userName": "ann"}, if_match='W/"9"'), meta())
    assert reply.error.code == ErrorCode.PRECONDITION_FAILED
    assert not (await dispatch(DeleteUser(id="nobody"), meta())).ok
    assert await published(events, tmp_path) == {ann.id: [USER + "created"]}


async def group(dispatch, name: str, *members: str, message_id: str | None = None) -> GroupRecord:
    resource = {"displayName": name, "members": [{"value": member} for member in members]}
    return unwrap(await dispatch(CreateGroup(resource=resource), meta(message_id=message_id)), GroupRecord)


def members_patch(op: str, *user_ids: str, **extra) -> dict:
    return patch({"op": op, "path": "members", "value": [{"value": user_id} for user_id in user_ids]}, *(
        [{"op": "replace", "path": "displayName", "value": extra["name"]}] if "name" in extra else []))


async def test_a_groups_changes_emit_its_events_and_membership_travels_apart(dispatch, events, tmp_path):
    a, b, c = [(await create(dispatch, name)).id for name in "abc"]
    sales = await group(dispatch, "Sales", b, a, message_id="g-1")
    await dispatch(PatchGroup(id=sales.id, patch=members_patch("add", c)), meta())
    await dispatch(PatchGroup(id=sales.id, patch=members_patch("add", c)), meta())  # Entra's next cycle: as is
    await dispatch(PatchGroup(id=sales.id, patch=members_patch("remove", a, name="Sales")), meta())  # Okta's
    renamed = {"displayName": "Sales EMEA", "members": [{"value": a}, {"value": c}]}
    for _ in range(2):  # the same PUT again changes nothing
        assert (await dispatch(ReplaceGroup(id=sales.id, resource=renamed), meta())).ok
    await dispatch(DeleteGroup(id=sales.id), meta())
    types = await published(events, tmp_path)
    assert types[sales.id] == [GROUP + kind for kind in (
        "created", "members_added", "members_added", "members_removed",
        "updated", "members_removed", "members_added", "deleted")]
    group_events = [event for event in events.events() if event.subject == sales.id]
    assert [event.id for event in group_events[:2]] == ["g-1-0", "g-1-1"]
    assert [event.data.members for event in group_events if "members_" in event.type] == [
        sorted([a, b]), [c], [a], [b], [a]]
    assert group_events[4].data["displayName"] == "Sales EMEA"
    assert all("members" not in event.data for event in group_events if "members_" not in event.type)
    assert all(types[user] == [USER + "created"] for user in (a, b, c))  # membership is the group's


async def test_deleting_a_member_removes_them_from_each_of_their_groups(dispatch, events, tmp_path):
    ann = await create(dispatch, "ann")
    sales, support = await group(dispatch, "Sales", ann.id), await group(dispatch, "Support", ann.id)
    await dispatch(DeleteUser(id=ann.id), meta())
    types = await published(events, tmp_path)
    assert types[ann.id] == [USER + "created", USER + "deleted"]
    for joined in (sales, support):
        assert types[joined.id] == [GROUP + "created", GROUP + "members_added", GROUP + "members_removed"]


async def test_a_redelivered_command_emits_nothing_more(dispatch, events, tmp_path):
    command, again = CreateUser(resource={"userName": "ann"}), meta(message_id="m-1")
    first, second = await dispatch(command, again), await dispatch(command, again)
    assert first == second
    await published(events, tmp_path)
    assert [event.id for event in events.events()] == ["m-1-0"]


async def test_with_events_off_the_store_writes_none(tmp_path, allocator):
    async with bootstrap(SqliteFile(tmp_path / "users.sqlite3"), ServiceIdentity("user_store", "t"),
                         direct_seats(allocator)) as dispatch:
        await create(dispatch, "ann")
    assert outbox(tmp_path) == []
