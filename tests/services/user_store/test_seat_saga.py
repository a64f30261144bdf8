"""The user store asks the real seat allocator (in-process) before a write that moves seats, and the
two never disagree for long: refusals leave no user, redeliveries and crashes between the steps
take no seat twice, the sweeper finishes what nobody redelivers (services/user_store/seat_saga.py)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest
from user_store_support import (
    Crash,
    crashing,
    intents,
    meta,
    patch,
    seats_of,
    silent,
    subscribe,
    used,
)

from contracts import ErrorCode, MessageMeta, Reply
from contracts.users.v1 import (
    CreateUser,
    DeleteUser,
    PatchUser,
    QueryUsers,
    ReplaceUser,
    UserDeleted,
    UserPage,
    UserRecord,
)
from services.user_store.bootstrap import STALE_INTENT, bootstrap
from services.user_store.seat_saga import resume_stale
from services.user_store.seat_state import SeatAsk
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import RemoteError, unwrap
from shared.scim.schemas import EXTENSION_SCHEMA
from shared.settings import SqliteFile
from tests.support.clock import FakeClock
from tests.support.seats import direct_seats

IDENTITY = ServiceIdentity("user_store", "t")


def user(user_name: str, *products: str, active: bool = True) -> dict:
    extension = {EXTENSION_SCHEMA: {"products": list(products)}} if products else {}
    return {"userName": user_name, "active": active, **extension}


async def users_named(dispatch, user_name: str) -> list[UserRecord]:
    page = unwrap(await dispatch(QueryUsers(criteria=[{"attribute": "userName", "value": user_name}]), meta()),
                  UserPage)
    return page.resources


async def refusal(dispatch, command, message: MessageMeta | None = None) -> str:
    with pytest.raises(RemoteError) as raised:
        unwrap(await dispatch(command, message or meta()), UserRecord)
    assert raised.value.code == ErrorCode.INVALID_VALUE, raised.value
    return raised.value.detail


def active_patch(active: bool) -> PatchUser:
    return patch({"op": "replace", "path": "active", "value": active})


async def set_active(dispatch, user_id: str, active: bool) -> Reply:
    return await dispatch(PatchUser(id=user_id, patch=active_patch(active)), meta())


# --- what the IdP sees -----------------------------------------------------------------------------


async def test_a_user_is_created_holding_their_seats(dispatch, allocator):
    await subscribe(allocator, "Sales", 10)
    created = unwrap(await dispatch(CreateUser(resource=user("ann", "Sales")), meta()), UserRecord)
    assert created.resource[EXTENSION_SCHEMA] == {"products": ["Sales"], "scimActive": True, "platformActive": True}
    assert (await seats_of(allocator, created.id)).products == ["Sales"]
    assert await used(allocator) == 1 and await intents(dispatch) == 0


@pytest.mark.parametrize(("products", "setup", "named"), [
    (["Sales"], {"Sales": (0, 365)}, "product 'Sales' has no free seat (0 of 0 in use)"),
    (["Talent"], {"Sales": (5, 365)}, "product 'Talent' is not subscribed"),
    (["Sales"], {"Sales": (5, -1)}, "the subscription to product 'Sales' expired on"),
    ([], {"Sales": (5, 365)}, "no product is associated with the user"),
])
async def test_a_refused_create_answers_the_reason_and_leaves_no_user(dispatch, allocator, products, setup, named):
    for product, (seats, days) in setup.items():
        await subscribe(allocator, product, seats, days)
    detail = await refusal(dispatch, CreateUser(resource=user("ann", *products)))
    assert detail.startswith("Seats for user 'ann' not allocated: ") and named in detail
    assert await users_named(dispatch, "ann") == [] and await intents(dispatch) == 0
    assert await used(allocator) == 0


async def test_two_products_are_both_taken_or_neither(dispatch, allocator):
    await subscribe(allocator, "Sales", 5)
    await subscribe(allocator, "Marketing", 0)
    detail = await refusal(dispatch, CreateUser(resource=user("ann", "Sales", "Marketing")))
    assert "product 'Marketing' has no free seat" in detail and "Sales" not in detail.split(":", 1)[1]
    assert (await used(allocator, "Sales"), await used(allocator, "Marketing")) == (0, 0)


async def test_a_tenant_without_products_provisions_users_without_seats(dispatch, allocator):
    created = unwrap(await dispatch(CreateUser(resource=user("ann")), meta()), UserRecord)
    assert created.resource[EXTENSION_SCHEMA] == {"scimActive": True, "platformActive": False}


async def test_deactivation_frees_the_seats_and_reactivation_takes_them_again(dispatch, allocator):
    await subscribe(allocator, "Sales", 1)
    ann = unwrap(await dispatch(CreateUser(resource=user("ann", "Sales")), meta()), UserRecord)
    off = unwrap(await set_active(dispatch, ann.id, False), UserRecord)
    assert off.resource[EXTENSION_SCHEMA] == {"products": ["Sales"], "scimActive": False, "platformActive": False}
    assert await used(allocator) == 0
    bob = unwrap(await dispatch(CreateUser(resource=user("bob", "Sales")), meta()), UserRecord)  # takes the freed seat
    detail = await refusal(dispatch, PatchUser(id=ann.id, patch=active_patch(True)))
    assert "product 'Sales' has no free seat (1 of 1 in use)" in detail
    assert (await users_named(dispatch, "ann"))[0].resource["active"] is False  # the refused write changed nothing
    unwrap(await dispatch(DeleteUser(id=bob.id), meta()), UserDeleted)
    assert await used(allocator) == 0
    back = unwrap(await set_active(dispatch, ann.id, True), UserRecord)
    assert back.resource[EXTENSION_SCHEMA]["platformActive"] is True and await used(allocator) == 1


async def test_new_products_move_the_seats_all_or_nothing(dispatch, allocator):
    await subscribe(allocator, "Sales", 5)
    await subscribe(allocator, "Marketing", 5)
    ann = unwrap(await dispatch(CreateUser(resource=user("ann", "Sales")), meta()), UserRecord)
    moved = unwrap(await dispatch(ReplaceUser(id=ann.id, resource=user("ann", "Marketing")), meta()), UserRecord)
    assert moved.resource[EXTENSION_SCHEMA]["products"] == ["Marketing"]
    assert (await used(allocator, "Sales"), await used(allocator, "Marketing")) == (0, 1)
    await refusal(dispatch, ReplaceUser(id=ann.id, resource=user("ann", "Marketing", "Talent")))
    assert (await seats_of(allocator, ann.id)).products == ["Marketing"]


async def test_an_unchanged_resend_does_not_ask_the_allocator(users_at, allocator):
    asked = []

    async def counting(command, tenant_id, message_id, timeout):
        asked.append(command.TYPE)
        return await direct_seats(allocator)(command, tenant_id, message_id, timeout)

    await subscribe(allocator, "Sales", 5)
    async with bootstrap(users_at, IDENTITY, counting) as dispatch:
        ann = unwrap(await dispatch(CreateUser(resource=user("ann", "Sales")), meta()), UserRecord)
        for _ in range(3):
            unwrap(await dispatch(ReplaceUser(id=ann.id, resource=user("ann", "Sales")), meta()), UserRecord)
    assert asked == ["seats.allocate_seats.v1"]


async def test_120_creates_on_100_seats_make_exactly_100_users(dispatch, allocator):
    await subscribe(allocator, "Sales", 100)
    replies = await asyncio.gather(*(dispatch(CreateUser(resource=user(f"u{i}", "Sales")), meta())
                                     for i in range(120)))
    assert sum(reply.ok for reply in replies) == 100
    assert all("has no free seat (100 of 100 in use)" in r.error.detail for r in replies if not r.ok)
    page = unwrap(await dispatch(QueryUsers(count=200), meta()), UserPage)
    assert page.total_results == 100 == await used(allocator)


# --- redelivery, crashes and the sweeper -----------------------------------------------------------


async def test_a_redelivered_create_answers_the_same_and_takes_one_seat(dispatch, allocator):
    await subscribe(allocator, "Sales", 5)
    command, once = CreateUser(resource=user("ann", "Sales")), meta()
    first = unwrap(await dispatch(command, once), UserRecord)
    second = unwrap(await dispatch(command, once), UserRecord)
    assert first == second and await used(allocator) == 1


@pytest.mark.parametrize("crash", ["before_asking", "after_answer"])
async def test_a_create_redelivered_after_a_crash_between_the_steps_is_one_user_one_seat(users_at, allocator, crash):
    await subscribe(allocator, "Sales", 5)
    command, once, path = CreateUser(resource=user("ann", "Sales")), meta(), users_at
    async with bootstrap(path, IDENTITY, crashing(allocator, **{crash: True})) as dying:
        with pytest.raises(Crash):
            await dying(command, once)
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as restarted:
        assert await intents(restarted) == 1  # the intent outlived the crash
        created = unwrap(await restarted(command, once), UserRecord)  # Kafka redelivers the uncommitted command
        assert [u.id for u in await users_named(restarted, "ann")] == [created.id]
        assert await used(allocator) == 1 and await intents(restarted) == 0
        assert (await seats_of(allocator, created.id)).products == ["Sales"]


async def test_two_runs_of_one_command_at_once_make_one_user_holding_one_seat(dispatch, allocator):
    """As when the sweeper resumes a create its redelivery runs too, or two store copies hold one partition
    across a rebalance: on PostgreSQL the tenant's write units take turns (UnitOfWork.hold_tenant), so the
    second run finds the first's journaled answer instead of a name taken by "another" user."""
    await subscribe(allocator, "Sales", 5)
    command, once = CreateUser(resource=user("ann", "Sales")), meta()
    first, second = [unwrap(reply, UserRecord) for reply in await asyncio.gather(dispatch(command, once),
                                                                                  dispatch(command, once))]
    assert first == second and [u.id for u in await users_named(dispatch, "ann")] == [first.id]
    assert await used(allocator) == 1 and (await seats_of(allocator, first.id)).products == ["Sales"]


async def test_a_crash_after_the_write_before_the_reply_replays_the_answer(dispatch, allocator):
    await subscribe(allocator, "Sales", 5)
    command, once = CreateUser(resource=user("ann", "Sales")), meta()
    await dispatch(command, once)  # its reply is lost with the process
    assert unwrap(await dispatch(command, once), UserRecord).resource["userName"] == "ann"
    assert await used(allocator) == 1


async def test_a_silent_allocator_is_503_and_the_sweeper_finishes_the_create(users_at, allocator):
    await subscribe(allocator, "Sales", 5)
    clock, path = FakeClock(), users_at
    async with bootstrap(path, IDENTITY, silent, clock=clock) as down:
        reply = await down(CreateUser(resource=user("ann", "Sales")), meta())
        assert (reply.error.code, reply.error.retryable) == (ErrorCode.UNAVAILABLE, True)
    async with bootstrap(path, IDENTITY, direct_seats(allocator), clock=clock) as back:
        assert await resume_stale(back.deps, back, STALE_INTENT) == 0  # too fresh: its caller may still retry
        clock.advance(STALE_INTENT.total_seconds() + 1)
        assert await resume_stale(back.deps, back, STALE_INTENT) == 1
        [ann] = await users_named(back, "ann")
        assert ann.resource[EXTENSION_SCHEMA]["platformActive"] is True
        assert await used(allocator) == 1 and await intents(back) == 0


async def test_a_run_that_finds_the_command_finished_by_another_answers_once_that_is_stored(tmp_path, allocator):
    """Two runs of one command in one store (the sweeper's and a redelivery's) reach their last step in one loop
    turn, as under load: the second finds the first's reply in the transaction the process's units share
    (shared/sqlite/writer.py), not yet committed. Its reply must wait for that commit: answered at once, its
    caller read no user (the sweeper test's flake). (SQLite's: on PostgreSQL a unit sees only what is committed.)"""
    await subscribe(allocator, "Sales", 5)
    path, stored_at_reply = tmp_path / "u.sqlite3", []

    async def count_users_at_reply(outcome, tenant_id: str, message_id: str) -> None:
        """Reported as each reply goes out; counts the users a reader of the file sees then."""
        with contextlib.closing(sqlite3.connect(path)) as reader:
            stored_at_reply.append(reader.execute("SELECT count(*) FROM users").fetchone()[0])

    command, message = CreateUser(resource=user("ann", "Sales")), meta()
    async with bootstrap(SqliteFile(path), IDENTITY, answered_together(direct_seats(allocator), 2),
                         report=count_users_at_reply) as store:
        replies = await asyncio.gather(store(command, message), store(command, message))
    assert [reply.ok for reply in replies] == [True, True]
    assert stored_at_reply == [1, 1]
    assert await used(allocator) == 1


def answered_together(seats: SeatAsk, count: int) -> SeatAsk:
    """The allocator's answers to the first ``count`` asks, handed back in one go once all of them were asked."""
    asked: list[tuple[asyncio.Future[Reply], tuple]] = []

    async def ask(*args) -> Reply:
        answer: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        asked.append((answer, args))
        if len(asked) == count:
            replies = [await seats(*arguments) for _, arguments in asked]
            for (waiting, _), reply in zip(asked, replies, strict=True):
                waiting.set_result(reply)
        return await answer
    return ask


async def test_a_resumed_create_whose_name_was_taken_meanwhile_gives_its_seat_back(users_at, allocator):
    await subscribe(allocator, "Sales", 5)
    path, stale = users_at, meta()
    async with bootstrap(path, IDENTITY, crashing(allocator, after_answer=True)) as dying:
        with pytest.raises(Crash):
            await dying(CreateUser(resource=user("ann", "Sales")), stale)
    assert await used(allocator) == 1  # the allocator took the seat; the store never wrote the user
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as restarted:
        other = unwrap(await restarted(CreateUser(resource=user("ANN", "Sales")), meta()), UserRecord)
        with pytest.raises(RemoteError) as raised:
            unwrap(await restarted(CreateUser(resource=user("ann", "Sales")), stale), UserRecord)
        assert raised.value.code == ErrorCode.UNIQUENESS
        assert [u.id for u in await users_named(restarted, "ann")] == [other.id]
        assert await used(allocator) == 1 and await intents(restarted) == 0


async def test_a_newer_write_of_the_same_user_supersedes_an_unfinished_one(users_at, allocator):
    await subscribe(allocator, "Sales", 5)
    await subscribe(allocator, "Marketing", 5)
    path = users_at
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as store:
        ann = unwrap(await store(CreateUser(resource=user("ann", "Sales")), meta()), UserRecord)
    async with bootstrap(path, IDENTITY, silent) as down:
        await down(ReplaceUser(id=ann.id, resource=user("ann", "Marketing")), meta())  # 503, intent kept
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as store:
        unwrap(await store(ReplaceUser(id=ann.id, resource=user("ann", "Sales", "Marketing")), meta()), UserRecord)
        assert await intents(store) == 0
    assert (await seats_of(allocator, ann.id)).products == ["Marketing", "Sales"]


@pytest.mark.parametrize("allocator_heard", [True, False])
async def test_a_newer_write_moving_no_seat_supersedes_an_unfinished_one(users_at, allocator, allocator_heard):
    """A deactivation got 503 (the allocator may or may not have freed the seat); the IdP's next write, a
    200, reactivates and renames. The sweeper must not finish the old write on top of it (a lost update
    the IdP never hears of): the newer write supersedes it, and the allocator hears what it leaves."""
    await subscribe(allocator, "Sales", 5)
    clock, path = FakeClock(), users_at
    async with bootstrap(path, IDENTITY, direct_seats(allocator), clock=clock) as store:
        ann = unwrap(await store(CreateUser(resource=user("ann", "Sales")), meta()), UserRecord)
    asked = crashing(allocator, after_answer=True) if allocator_heard else silent
    async with bootstrap(path, IDENTITY, asked, clock=clock) as down:
        with pytest.raises(Crash) if allocator_heard else contextlib.nullcontext():
            await down(PatchUser(id=ann.id, patch=patch({"op": "replace", "value": {"active": False}})), meta())
    async with bootstrap(path, IDENTITY, direct_seats(allocator), clock=clock) as store:
        newer = patch({"op": "replace", "value": {"active": True, "displayName": "Ann New"}})
        unwrap(await store(PatchUser(id=ann.id, patch=newer), meta()), UserRecord)
        clock.advance(STALE_INTENT.total_seconds() + 1)
        assert await resume_stale(store.deps, store, STALE_INTENT) == 0
        [now] = await users_named(store, "ann")
        assert (now.resource["active"], now.resource["displayName"]) == (True, "Ann New")
        assert now.resource[EXTENSION_SCHEMA]["platformActive"] is True
    assert await used(allocator) == 1 and (await seats_of(allocator, ann.id)).products == ["Sales"]


async def test_deletion_frees_the_seats(dispatch, allocator):
    await subscribe(allocator, "Sales", 5)
    ann = unwrap(await dispatch(CreateUser(resource=user("ann", "Sales")), meta()), UserRecord)
    unwrap(await dispatch(DeleteUser(id=ann.id), meta()), UserDeleted)
    assert await used(allocator) == 0 and (await seats_of(allocator, ann.id)).products == []


async def test_the_idps_retry_of_an_unfinished_create_is_the_same_user(users_at, allocator):
    """A 503 makes the IdP send the create again, with a new message id: it adopts the first try's user
    id, so a seat that try took is not taken a second time, and the first try is never resumed."""
    await subscribe(allocator, "Sales", 1)
    path = users_at
    async with bootstrap(path, IDENTITY, crashing(allocator, after_answer=True)) as dying:
        with pytest.raises(Crash):
            await dying(CreateUser(resource=user("ann", "Sales")), meta())
    async with bootstrap(path, IDENTITY, direct_seats(allocator)) as restarted:
        created = unwrap(await restarted(CreateUser(resource=user("Ann", "Sales")), meta()), UserRecord)
        assert await used(allocator) == 1 and await intents(restarted) == 0
        assert (await seats_of(allocator, created.id)).products == ["Sales"]
