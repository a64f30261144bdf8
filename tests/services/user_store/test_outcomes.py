"""The user store reports every user write's outcome to the sync-status reporter (services/user_store/outcomes.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from user_store_support import meta, patch, silent, subscribe

from contracts.groups.v1 import CreateGroup, GroupRecord
from contracts.seats.v1 import CreateSubscriptionSet, SubscriptionSetRecord
from contracts.sync_status.v1 import ProvisioningOutcome, ProvisioningOutcomes
from contracts.users.v1 import (
    CreateUser,
    DeleteUser,
    GetUser,
    PatchUser,
    ReplaceUser,
    UserRecord,
)
from services.user_store import outcomes
from services.user_store.bootstrap import STALE_INTENT, bootstrap
from services.user_store.outcomes import OutcomeBatches
from services.user_store.seat_saga import resume_stale
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap
from shared.scim.schemas import EXTENSION_SCHEMA
from tests.support.clock import FakeClock
from tests.support.seats import direct_seats


@pytest.fixture
async def reported(users_at, allocator):
    """(dispatch, outcomes): the store with a report that keeps (outcome, the command's message id)."""
    outcomes = []

    async def keep(outcome, tenant_id, message_id):
        outcomes.append((outcome, message_id))

    async with bootstrap(users_at, ServiceIdentity("user_store", "t"), direct_seats(allocator),
                         report=keep) as dispatch:
        yield dispatch, outcomes


CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def sales_user(user_name: str) -> dict:
    return {"userName": user_name, "active": True, EXTENSION_SCHEMA: {"products": ["Sales"]}}


async def test_a_refused_create_is_reported_failed_with_the_reason_and_the_user_name(reported, allocator):
    dispatch, outcomes = reported
    await subscribe(allocator, "Sales", 0)
    reply = await dispatch(CreateUser(resource=sales_user("joe@acme.example")), meta())
    [(outcome, _)] = outcomes
    assert (outcome.action, outcome.status, outcome.user_id, outcome.user_name) == (
        "create", "failed", None, "joe@acme.example")
    assert outcome.detail == reply.error.detail and "has no free seat" in outcome.detail
    assert (outcome.products, outcome.platform_active, outcome.scim_active) == (["Sales"], False, True)
    assert outcome.asked == ["active", EXTENSION_SCHEMA, "userName"]


async def test_writes_are_reported_synced_then_deleted_and_a_redelivery_reports_the_same_id(reported, allocator):
    dispatch, outcomes = reported
    await subscribe(allocator, "Sales", 5)
    once = meta()
    created = unwrap(await dispatch(CreateUser(resource=sales_user("ann")), once), UserRecord)
    await dispatch(CreateUser(resource=sales_user("ann")), once)  # redelivered
    await dispatch(PatchUser(id=created.id, patch=patch({"op": "replace", "path": "active", "value": False})), meta())
    await dispatch(DeleteUser(id=created.id), meta())
    await dispatch(GetUser(id=created.id), meta())  # not a write: not reported
    await dispatch(DeleteUser(id="nobody"), meta())  # no such user: nothing to report about
    kinds = [(o.action, o.status, o.user_id, o.platform_active, o.scim_active) for o, _ in outcomes]
    assert kinds == [("create", "synced", created.id, True, True), ("create", "synced", created.id, True, True),
                     ("patch", "synced", created.id, False, False), ("delete", "deleted", created.id, None, None)]
    assert outcomes[0][1] == outcomes[1][1] == f"{once.message_id}:outcome:synced"
    assert outcomes[2][0].asked == ["replace active"]


async def test_a_write_that_changes_nothing_is_reported_unchanged(reported, allocator):
    """The same PUT again, or a PATCH of the stored value: the reporter counts it instead of recording it."""
    dispatch, outcomes = reported
    await subscribe(allocator, "Sales", 5)
    ann = {"schemas": [CORE, EXTENSION_SCHEMA], **sales_user("ann")}  # as the gateway passes it on
    created = unwrap(await dispatch(CreateUser(resource=ann), meta()), UserRecord)
    await dispatch(ReplaceUser(id=created.id, resource=ann), meta())
    await dispatch(PatchUser(id=created.id, patch=patch({"op": "replace", "path": "active", "value": True})), meta())
    await dispatch(PatchUser(id=created.id, patch=patch({"op": "replace", "path": "displayName", "value": "A"})),
                   meta())
    await dispatch(PatchUser(id="nobody", patch=patch({"op": "replace", "path": "active", "value": True})), meta())
    assert [(o.action, o.status, o.unchanged) for o, _ in outcomes] == [
        ("create", "synced", False), ("replace", "synced", True), ("patch", "synced", True),
        ("patch", "synced", False)]


async def test_a_write_finished_after_its_503_reports_its_final_status_anew(users_at, allocator):
    """The 503 run reported "pending"; the sweeper's run of the same command (same message id) must not
    be taken for a redelivery of that report, or the user stays pending for good."""
    outcomes = []

    async def keep(outcome, tenant_id, report_id):
        outcomes.append((outcome.status, report_id))

    await subscribe(allocator, "Sales", 5)
    clock, path, once = FakeClock(), users_at, meta()
    async with bootstrap(path, ServiceIdentity("user_store", "t"), silent, clock=clock, report=keep) as down:
        await down(CreateUser(resource=sales_user("ann")), once)
    async with bootstrap(path, ServiceIdentity("user_store", "t"), direct_seats(allocator), clock=clock,
                         report=keep) as back:
        clock.advance(STALE_INTENT.total_seconds() + 1)
        assert await resume_stale(back.deps, back, STALE_INTENT) == 1
    # (the background sweep may finish it too: a second report under the same id, which the reporter drops)
    assert list(dict.fromkeys(outcomes)) == [("pending", f"{once.message_id}:outcome:pending"),
                                             ("synced", f"{once.message_id}:outcome:synced")]


async def test_a_report_that_cannot_be_sent_does_not_fail_the_write(users_at, allocator):
    async def broken(outcome, tenant_id, message_id):
        raise ConnectionError("broker away")

    await subscribe(allocator, "Sales", 5)
    async with bootstrap(users_at, ServiceIdentity("user_store", "t"), direct_seats(allocator),
                         report=broken) as dispatch:
        assert (await dispatch(CreateUser(resource=sales_user("ann")), meta())).ok


async def test_a_groups_members_are_reported_with_what_their_set_did(reported, allocator):
    dispatch, outcomes = reported
    await subscribe(allocator, "Sales", 1)
    unwrap(await allocator(CreateSubscriptionSet(name="Sales Team", products=["Sales"]), meta()),
           SubscriptionSetRecord)
    ann, bob = [unwrap(await dispatch(CreateUser(resource={"userName": name}), meta()), UserRecord).id
                for name in ("ann", "bob")]
    outcomes.clear()
    once = meta()
    group = {"displayName": "Sales Team", "members": [{"value": ann}, {"value": bob}]}
    unwrap(await dispatch(CreateGroup(resource=group), once), GroupRecord)
    seated, refused = sorted((o for o, _ in outcomes), key=lambda o: o.status != "synced")  # one seat for two
    assert [(m.action, m.status, m.platform_active) for m in (seated, refused)] == [
        ("membership", "synced", True), ("membership", "failed", False)]
    assert "has no free seat (1 of 1 in use)" in refused.detail
    assert seated.products == ["Sales"] and seated.subscription_set == "Sales Team"
    assert {message_id for _, message_id in outcomes} == {f"{once.message_id}:member:{ann}",
                                                          f"{once.message_id}:member:{bob}"}


def an_outcome(user_name: str) -> ProvisioningOutcome:
    return ProvisioningOutcome(action="create", status="synced", at=datetime(2026, 12, 1, tzinfo=UTC),
                               user_name=user_name)


class Sent:
    """What an OutcomeBatches sends: each batch's (tenant, report id, userName) triples."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.batches: list[list[tuple[str, str, str]]] = []
        self.failure = failure

    async def __call__(self, batch: ProvisioningOutcomes) -> None:
        self.batches.append([(r.tenant_id, r.report_id, r.outcome.user_name) for r in batch.reports])
        if self.failure is not None:
            raise self.failure


async def test_outcomes_reported_together_travel_in_one_message():
    sent = Sent()
    batches = OutcomeBatches(sent)
    await asyncio.gather(batches(an_outcome("ann"), "t1", "m1:outcome"), batches(an_outcome("bob"), "t2", "m2:outcome"))
    assert sent.batches == [[("t1", "m1:outcome", "ann"), ("t2", "m2:outcome", "bob")]]
    await batches(an_outcome("cy"), "t1", "m3:outcome")  # a later one: a batch of its own
    assert sent.batches[1:] == [[("t1", "m3:outcome", "cy")]]


async def test_a_full_batch_goes_at_once(monkeypatch):
    monkeypatch.setattr(outcomes, "BATCH_WAIT_SECONDS", 60)  # only being full can send it
    sent = Sent()
    batches = OutcomeBatches(sent)
    reports = [batches(an_outcome(f"u{i}"), "t1", f"m{i}") for i in range(outcomes.BATCH_MAX + 1)]
    done, pending = await asyncio.wait([asyncio.ensure_future(r) for r in reports], timeout=1)
    assert [len(batch) for batch in sent.batches] == [outcomes.BATCH_MAX]
    assert len(done) == outcomes.BATCH_MAX and len(pending) == 1  # the one over waits for the next batch
    for task in pending:
        task.cancel()


async def test_a_failed_send_fails_every_report_in_its_batch_and_a_cancelled_one_cancels_none():
    sent = Sent(failure=ConnectionError("broker gone"))
    batches = OutcomeBatches(sent)
    first = asyncio.ensure_future(batches(an_outcome("ann"), "t1", "m1"))
    cancelled = asyncio.ensure_future(batches(an_outcome("bob"), "t1", "m2"))
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(ConnectionError):
        await first
    assert sent.batches == [[("t1", "m1", "ann"), ("t1", "m2", "bob")]]  # bob's went all the same
