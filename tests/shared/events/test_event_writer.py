"""Outbox rows (shared/events/outbox.py): a unit of work's events are written in its transaction, numbered
after its command's message id, as its service's; none without an outbox, none when it does not commit."""

import sqlite3

from outbox_support import emitter, outbox

from contracts import MessageMeta
from contracts.events.v1 import USER_UPDATED
from services.seat_allocator.database import complete_schema
from services.seat_allocator.migrations import SCHEMA
from services.user_store.database import create_schema as create_users_schema
from shared.settings import SqliteFile
from shared.sqlite import create_engine
from shared.store.backend import open_store
from tests.support.events import RecordingPublisher

META = MessageMeta(message_type="x", message_id="m-1", tenant_id="t1")


async def test_a_commands_events_are_numbered_after_its_message_id_in_the_order_written(database):
    events = RecordingPublisher()
    events.hold()  # the relay leaves the rows where they are
    async with emitter(database, events, "p1") as process:
        await process.commit((USER_UPDATED, "ann", {"n": 0}), (USER_UPDATED, "bob", {"n": 1}), message_id="m-1")
        await process.commit((USER_UPDATED, "ann", {"n": 2}), message_id="m-2")
        rows = outbox(database)
        events.release()
    assert [(key, writer, event["id"], event["data"]) for key, writer, event in rows] == [
        ("t1:ann", "p1", "m-1-0", {"n": 0}), ("t1:bob", "p1", "m-1-1", {"n": 1}), ("t1:ann", "p1", "m-2-0", {"n": 2})]
    assert {(event["source"], event["tenantid"], event["type"]) for _, _, event in rows} == {
        ("scimflow/emitter", "t1", USER_UPDATED)}


async def test_a_unit_of_work_that_does_not_commit_leaves_no_event(database):
    async with emitter(database, RecordingPublisher()) as process:
        async with process.uow() as uow:
            await uow.events.emit(META, USER_UPDATED, "ann", {}, process.clock())
        assert outbox(database) == []


async def test_with_events_off_units_write_none(database):
    async with emitter(database, None) as process:
        await process.retitle("ann")
    assert outbox(database) == []


def outbox_table(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return sorted(sql for (sql,) in connection.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'event_outbox' AND sql IS NOT NULL"))


async def test_the_user_store_and_the_seat_allocator_each_have_the_one_outbox_table_in_their_file(tmp_path,
                                                                                                  database):
    engine = create_engine(tmp_path / "users.sqlite3")
    await create_users_schema(engine)
    await engine.dispose()
    async with open_store(SqliteFile(tmp_path / "seats.sqlite3"), SCHEMA, then=complete_schema):
        pass
    async with emitter(database, None):
        pass
    tables = [outbox_table(path) for path in (tmp_path / "users.sqlite3", tmp_path / "seats.sqlite3", database)]
    assert tables[0] and tables[0] == tables[1] == tables[2]
