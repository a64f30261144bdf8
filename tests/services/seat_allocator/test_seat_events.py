"""The allocator's events (services/seat_allocator/events.py, written by journaled.py): one per seat
taken, freed or refused in a committed change, and one per subscription set synced; nothing for a
command that moved nothing, was rolled back, or is redelivered."""

from seat_support import (
    allocate,
    allocate_command,
    create_set,
    membership,
    meta,
    outbox,
    published,
    subscribe,
)

from contracts.seats.v1 import (
    ChangeSetMembership,
    ChangeSubscription,
    DeleteSubscriptionSet,
    ReleaseSeats,
)
from services.seat_allocator.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity

ASSIGNED, RELEASED, REFUSED = "scimflow.seat.assigned", "scimflow.seat.released", "scimflow.seat.refused"
SYNCED = "scimflow.subscription_set.synced"
SET = "NA Sales Team"


async def emitted(events, store) -> list[tuple[str, str, dict]]:
    """Every event once the relay published all: type, subject and data, each id once, in the order sent
    (a subject's in commit order; nothing is promised across subjects)."""
    await published(events, store)
    unique = {event.id: event for event in events.events()}
    return [(event.type, event.subject, event.data.model_dump(mode="json")) for event in unique.values()]


async def by_subject(events, store) -> dict[str, list[tuple[str, dict]]]:
    """Each subject's events, type and data, in the order sent."""
    subjects: dict[str, list[tuple[str, dict]]] = {}
    for kind, subject, data in await emitted(events, store):
        subjects.setdefault(subject, []).append((kind, data))
    return subjects


def seat(user: str, product: str, set_name: str | None = None) -> dict:
    return {"user_id": user, "user_name": f"{user}@example.com", "product": product, "subscription_set": set_name}


async def test_an_allocation_with_free_seats_emits_one_assigned_seat_per_product(dispatch, events, store):
    await subscribe(dispatch, "Sales")
    await subscribe(dispatch, "Marketing")
    assert (await dispatch(allocate_command("u1", "Sales", "Marketing"), meta(message_id="m-1"))).ok
    assert await emitted(events, store) == [(ASSIGNED, "u1", seat("u1", "Marketing")),
                                               (ASSIGNED, "u1", seat("u1", "Sales"))]
    assert [(event.id, event.tenantid, event.source) for event in events.events()] == [
        ("m-1-0", "t1", "scimflow/seat_allocator"), ("m-1-1", "t1", "scimflow/seat_allocator")]
    assert {sent.key for sent in events.sent} == {"t1:u1"}


async def test_an_allocation_refused_for_want_of_a_seat_emits_the_refusal_only(dispatch, events, store):
    await subscribe(dispatch, "Sales", 10)
    await subscribe(dispatch, "Marketing", 0)
    assert not (await allocate(dispatch, "u1", "Sales", "Marketing")).ok
    refused = {**seat("u1", "Marketing"), "reason": "no_free_seat",
               "detail": "product 'Marketing' has no free seat (0 of 0 in use)"}
    assert await emitted(events, store) == [(REFUSED, "u1", refused)]


async def test_a_refusal_of_the_user_as_a_whole_names_no_product(dispatch, events, store):
    await subscribe(dispatch, "Sales")
    assert not (await allocate(dispatch, "u1")).ok
    [(kind, _, data)] = await emitted(events, store)
    assert (kind, data["product"], data["reason"]) == (REFUSED, None, "no_product")


async def test_a_release_frees_one_seat_per_product_and_a_new_product_list_moves_them(dispatch, events, store):
    await subscribe(dispatch, "Sales")
    await subscribe(dispatch, "Marketing")
    await allocate(dispatch, "u1", "Sales", "Marketing")
    await dispatch(ReleaseSeats(user_id="u1"), meta())
    await allocate(dispatch, "u1", "Sales")
    await allocate(dispatch, "u1", "Marketing")
    await dispatch(ReleaseSeats(user_id="u1", forget=True), meta())
    await dispatch(ReleaseSeats(user_id="nobody"), meta())
    assert [(kind, data["product"]) for kind, _, data in await emitted(events, store)] == [
        (ASSIGNED, "Marketing"), (ASSIGNED, "Sales"), (RELEASED, "Marketing"), (RELEASED, "Sales"),
        (ASSIGNED, "Sales"), (RELEASED, "Sales"), (ASSIGNED, "Marketing"), (RELEASED, "Marketing")]


async def test_a_command_that_moves_no_seat_emits_nothing(dispatch, events, store):
    await subscribe(dispatch, "Sales")
    for _ in range(2):  # the IdP sends the same user again: the seat is already held
        assert (await allocate(dispatch, "u1", "Sales")).ok
    await dispatch(ReleaseSeats(user_id="u1"), meta())
    await dispatch(ReleaseSeats(user_id="u1"), meta())  # deactivated again: nothing left to free
    assert [kind for kind, _, _ in await emitted(events, store)] == [ASSIGNED, RELEASED]


async def test_a_redelivered_command_emits_nothing_new(dispatch, events, store):
    await subscribe(dispatch, "Sales", 1)
    for command, message_id in [(allocate_command("u1", "Sales"), "m-1"), (allocate_command("u2", "Sales"), "m-2"),
                                (ReleaseSeats(user_id="u1"), "m-3")]:
        first = await dispatch(command, meta(message_id=message_id))
        assert await dispatch(command, meta(message_id=message_id)) == first
    await published(events, store)
    assert sorted((event.id, event.type) for event in events.events()) == [
        ("m-1-0", ASSIGNED), ("m-2-0", REFUSED), ("m-3-0", RELEASED)]


async def test_a_set_sync_emits_its_members_seats_and_then_the_set(dispatch, events, store):
    await subscribe(dispatch, "Sales")
    await create_set(dispatch, SET, "Sales")
    await dispatch(ChangeSetMembership(set_name=SET, added=["u1", "u2"]), meta(message_id="m-1"))
    await membership(dispatch, SET, removed=["u1"])
    subjects = await by_subject(events, store)
    [set_id] = set(subjects) - {"u1", "u2"}
    as_synced = {"set_id": set_id, "name": SET, "description": "North American Sales Team", "products": ["Sales"],
                 "admin_role": False}
    unnamed = {"user_name": None}  # a set's members come by id only
    assert subjects == {"u1": [(ASSIGNED, {**seat("u1", "Sales", SET), **unnamed}),
                               (RELEASED, {**seat("u1", "Sales"), **unnamed})],
                        "u2": [(ASSIGNED, {**seat("u2", "Sales", SET), **unnamed})],
                        set_id: [(SYNCED, {**as_synced, "members": 2}), (SYNCED, {**as_synced, "members": 1})]}
    first = {event.id: (event.type, event.subject) for event in events.events() if event.id.startswith("m-1-")}
    assert first == {"m-1-0": (ASSIGNED, "u1"), "m-1-1": (ASSIGNED, "u2"), "m-1-2": (SYNCED, set_id)}


async def test_set_members_refused_then_seated_when_seats_are_bought(dispatch, events, store):
    await subscribe(dispatch, "Sales", 1)
    await create_set(dispatch, SET, "Sales")
    await membership(dispatch, SET, added=["u1", "u2"])
    await dispatch(ChangeSubscription(product="Sales", seats=2), meta())
    await dispatch(DeleteSubscriptionSet(name=SET), meta())
    subjects = await by_subject(events, store)
    assert [kind for kind, _ in subjects["u1"]] == [ASSIGNED, RELEASED]
    assert [(kind, data.get("reason")) for kind, data in subjects["u2"]] == [
        (REFUSED, "no_free_seat"), (ASSIGNED, None), (RELEASED, None)]
    assert len(subjects) == 3  # and the set's one sync


async def test_joining_a_second_set_is_refused_for_the_user_as_a_whole(dispatch, events, store):
    await subscribe(dispatch, "Sales")
    await create_set(dispatch, SET, "Sales")
    await create_set(dispatch, "EMEA Sales Team", "Sales")
    await membership(dispatch, SET, added=["u1"])
    await membership(dispatch, "EMEA Sales Team", added=["u1"])
    sent = await emitted(events, store)
    assert [(kind, data.get("reason"), data["product"], data["subscription_set"])
            for kind, subject, data in sent if subject == "u1"] == [
        (ASSIGNED, None, "Sales", SET), (REFUSED, "other_set", None, SET)]
    assert sorted(data["name"] for kind, _, data in sent if kind == SYNCED) == ["EMEA Sales Team", SET]


async def test_a_command_rolled_back_emits_nothing(dispatch, events, store):
    """A sync for a group no set is named after is NOT_FOUND (an ordinary group); a refused join in an
    allocation is a broken rule: both roll back, and with them their events."""
    await subscribe(dispatch, "Sales")
    await create_set(dispatch, SET, "Sales")
    await create_set(dispatch, "EMEA Sales Team", "Sales")
    await membership(dispatch, SET, added=["u1"])
    assert not (await dispatch(ChangeSetMembership(set_name="Engineering", added=["u2"]), meta())).ok
    assert not (await allocate(dispatch, "u1", set_name="EMEA Sales Team")).ok
    assert sorted(kind for kind, _, _ in await emitted(events, store)) == [ASSIGNED, SYNCED]


async def test_with_events_off_the_allocator_writes_none(store):
    async with bootstrap(store, ServiceIdentity("seat_allocator", "t")) as dispatch:
        await subscribe(dispatch, "Sales")
        assert (await allocate(dispatch, "u1", "Sales")).ok
    assert await outbox(store) == []
