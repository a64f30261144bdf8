"""A group PATCH that only adds and removes listed members goes as set operations on those members
(member_delta.py): the same result as the general way, without reading the group's whole member list."""

from __future__ import annotations

import random

import pytest
from user_store_support import create, meta, patch

from contracts.groups.v1 import CreateGroup, GetGroup, GroupRecord, PatchGroup
from services.user_store.member_delta import member_delta
from shared.messaging.requester import unwrap
from shared.scim.schemas import GROUP_SCHEMA
from tests.support.backends import sqlite_only


def add(*ids: str, **extra) -> dict:
    return {"op": "Add", "path": "members", "value": [{"$ref": None, "value": i, **extra} for i in ids]}


def remove(*ids: str) -> dict:
    return {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": i} for i in ids]}


def remove_one(user_id: str) -> dict:
    return {"op": "remove", "path": f'members[value eq "{user_id}"]'}


def OKTA_RENAME(group_id: str, name: str) -> dict:  # upper case: Okta's op, sent with every membership update
    return {"op": "replace", "value": {"id": group_id, "displayName": name}}


#: An operation the delta way does not take and the general way applies as no change: forces the general way.
NOTHING_THE_GENERAL_WAY = {"op": "remove", "path": "externalId"}


def wanted(*operations: dict) -> dict[str, bool] | None:
    delta = member_delta(patch(*operations))
    return None if delta is None else delta.wanted


def test_entra_and_okta_member_operations_are_a_delta_where_the_last_word_counts():
    assert wanted(add("a", "b"), remove("b", "c")) == {"a": True, "b": False, "c": False}
    assert wanted(remove_one("a"), add("a", display="Ann")) == {"a": True}
    assert wanted(add("a", "a")) == {"a": True}
    # what names nobody (the PatchOp parser drops empty values) moves nobody, as the general way would
    assert wanted({"op": "add", "path": "members", "value": [{"display": "no value"}]}) == {}


def test_oktas_repeated_id_and_name_are_expectations_on_the_stored_group():
    delta = member_delta(patch(OKTA_RENAME("g1", "Sales"), remove_one("a"), add("b")))
    assert delta is not None and (delta.wanted, delta.as_stored) == ({"a": False, "b": True},
                                                                     {"id": "g1", "displayName": "Sales"})
    assert delta.holds_for("g1", "Sales") and not delta.holds_for("g1", "sales") and not delta.holds_for("g2", "Sales")


@pytest.mark.parametrize("operations", [
    [{"op": "replace", "path": "members", "value": [{"value": "a"}]}],  # the whole list
    [{"op": "remove", "path": "members"}],  # everyone
    [add("a"), {"op": "replace", "path": "externalId", "value": "x"}],
    [add("a"), {"op": "remove", "path": "displayName"}],
    [remove("A1")],  # members.value is compared regardless of case: the general way decides
    [{"op": "remove", "path": 'members[display eq "Ann"]'}],
    [{"op": "add", "path": "members", "value": [{"value": 7}]}],  # invalid: the general way says why
], ids=str)
def test_anything_else_goes_the_general_way(operations):
    assert member_delta(patch(*operations)) is None


async def group(dispatch, name: str, *ids: str) -> GroupRecord:
    resource = {"schemas": [GROUP_SCHEMA], "displayName": name, "members": [{"value": i} for i in ids]}  # as parsed
    return unwrap(await dispatch(CreateGroup(resource=resource), meta()), GroupRecord)


async def apply(dispatch, group_id: str, *operations: dict) -> GroupRecord:
    return unwrap(await dispatch(PatchGroup(id=group_id, patch=patch(*operations)), meta()), GroupRecord)


def member_ids(record: GroupRecord) -> set[str]:
    return {member["value"] for member in record.resource.get("members", [])}


async def test_the_delta_way_and_the_general_way_end_in_the_same_state(dispatch):
    """Random Entra/Okta membership PATCHes (Okta's with the group's id and name repeated) on two groups,
    one of them always sent with an operation only the general way takes: the same members and the same
    version after each."""
    ids = [(await create(dispatch, f"u{i}")).id for i in range(8)]
    fast, general = await group(dispatch, "Fast", *ids[:3]), await group(dispatch, "General", *ids[:3])
    chosen = random.Random(7)
    for _ in range(40):
        operations = [chosen.choice([add, remove])(*chosen.sample(ids, chosen.randint(1, 4))) for _ in range(2)]
        operations.append(remove_one(chosen.choice(ids)))
        chosen.shuffle(operations)
        okta = chosen.random() < 0.5
        by_delta = await apply(dispatch, fast.id, *([OKTA_RENAME(fast.id, "Fast")] if okta else []), *operations)
        by_general = await apply(dispatch, general.id, *([OKTA_RENAME(general.id, "General")] if okta else []),
                                 *operations, NOTHING_THE_GENERAL_WAY)
        assert member_ids(by_delta) == member_ids(by_general)
        assert by_delta.version - fast.version == by_general.version - general.version


async def test_oktas_update_that_renames_the_group_goes_the_general_way(dispatch):
    ann, bob = [(await create(dispatch, name)).id for name in ("ann", "bob")]
    record = await group(dispatch, "Old", ann)
    renamed = await apply(dispatch, record.id, OKTA_RENAME(record.id, "New"), remove_one(ann), add(bob))
    assert (renamed.resource["displayName"], member_ids(renamed)) == ("New", {bob})
    got = unwrap(await dispatch(GetGroup(id=record.id), meta()), GroupRecord)
    assert (got.resource["displayName"], member_ids(got), got.version) == ("New", {bob}, record.version + 1)


@sqlite_only
async def test_a_member_patch_reads_only_the_members_it_names(dispatch):
    ids = [(await create(dispatch, f"u{i}")).id for i in range(5)]
    record = await group(dispatch, "Big", *ids[:4])
    seen: list[str] = []
    database = dispatch.deps.uow()._database  # the store's SQLite file, as its units of work use it
    database.writer.connection.connection.dbapi_connection.set_trace_callback(seen.append)
    okta_update = patch(OKTA_RENAME(record.id, "Big"), add(ids[4]), remove_one(ids[0]))
    changed = unwrap(await dispatch(PatchGroup(id=record.id, patch=okta_update, include_members=False), meta()),
                     GroupRecord)
    assert changed.version == record.version + 1
    reads_of_members = [sql for sql in seen if "FROM memberships" in sql]
    assert reads_of_members and all("member_id IN" in sql for sql in reads_of_members), reads_of_members
    got = unwrap(await dispatch(GetGroup(id=record.id), meta()), GroupRecord)
    assert member_ids(got) == set(ids[1:])
