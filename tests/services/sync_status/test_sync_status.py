"""The sync-status reporter keeps each user's latest status and their history from the user store's
outcome reports, on a real SQLite file and on a real PostgreSQL database (services/sync_status)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts import MessageMeta
from contracts.sync_status.v1 import (
    GetSyncSummary,
    GetUserHistory,
    ListUserStatuses,
    OutcomeRecorded,
    OutcomesRecorded,
    ProvisioningOutcome,
    ProvisioningOutcomes,
    ReportedOutcome,
    SyncSummary,
    UserHistory,
    UserStatusPage,
)
from services.sync_status.bootstrap import bootstrap
from services.sync_status.handlers import record_all
from services.sync_status.settings import SyncStatusSettings
from shared.devtools.local_postgres import connect
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap
from tests.support.unfinished_write import READ_WITHIN_SECONDS, unfinished_write

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REFUSED = "Seats for user 'joe@acme.example' not allocated: product 'Sales' has no free seat (100 of 100 in use)"


@pytest.fixture
async def dispatch(sync_status_settings):
    async with bootstrap(sync_status_settings, ServiceIdentity("sync_status", "t")) as dispatcher:
        yield dispatcher


def meta(tenant: str | None = "t1", message_id: str | None = None) -> MessageMeta:
    return MessageMeta(message_type="x", tenant_id=tenant, **({"message_id": message_id} if message_id else {}))


def outcome(minutes: int = 0, tenant: str = "t1", report_id: str | None = None, **values) -> ReportedOutcome:
    return ReportedOutcome(report_id=report_id or uuid.uuid4().hex, tenant_id=tenant,
                           outcome=ProvisioningOutcome(at=T0 + timedelta(minutes=minutes), **values))


async def report_all(dispatch, *outcomes: ReportedOutcome) -> OutcomesRecorded:
    """Outcomes in one message, as the user store sends them (of any tenants: the message has none)."""
    return unwrap(await dispatch(ProvisioningOutcomes(reports=list(outcomes)), meta(None)), OutcomesRecorded)


async def report(dispatch, minutes: int = 0, tenant: str = "t1", message_id: str | None = None,
                 **values) -> OutcomesRecorded:
    """One outcome (a message of its own)."""
    return await report_all(dispatch, outcome(minutes, tenant, message_id, **values))


async def statuses(dispatch, tenant: str = "t1", **filters) -> UserStatusPage:
    return unwrap(await dispatch(ListUserStatuses(**filters), meta(tenant)), UserStatusPage)


async def history(dispatch, user_name: str) -> UserHistory:
    return unwrap(await dispatch(GetUserHistory(user_name=user_name), meta()), UserHistory)


async def test_a_create_refused_before_the_user_existed_shows_as_failed_with_its_reason(dispatch):
    await report(dispatch, action="create", status="failed", user_name="joe@acme.example", detail=REFUSED,
                 products=["Sales"], scim_active=True, platform_active=False)
    [joe] = (await statuses(dispatch, status="failed")).users
    assert (joe.user_id, joe.user_name, joe.detail, joe.last_synced) == (None, "joe@acme.example", REFUSED, None)
    assert [entry.detail for entry in (await history(dispatch, "JOE@acme.example")).entries] == [REFUSED]


async def test_a_later_success_clears_the_failure_and_sets_last_synced(dispatch):
    await report(dispatch, action="create", status="failed", user_name="joe@acme.example", detail=REFUSED)
    await report(dispatch, 5, action="create", status="synced", user_name="joe@acme.example", user_id="u1",
                 scim_active=True, platform_active=True, products=["Sales"])
    [joe] = (await statuses(dispatch)).users
    assert (joe.status, joe.detail, joe.user_id, joe.platform_active) == ("synced", None, "u1", True)
    assert joe.last_synced == T0 + timedelta(minutes=5)
    assert [e.status for e in (await history(dispatch, "joe@acme.example")).entries] == ["synced", "failed"]


async def test_a_patch_known_only_by_id_updates_its_user_and_a_refusal_keeps_the_state(dispatch):
    await report(dispatch, action="create", status="synced", user_name="ann", user_id="u1", platform_active=True,
                 products=["Sales"], scim_active=True)
    await report(dispatch, 1, action="patch", status="failed", user_id="u1", detail="no free seat",
                 asked=["replace active"])
    [ann] = (await statuses(dispatch)).users
    assert (ann.status, ann.detail, ann.platform_active, ann.last_synced) == ("failed", "no free seat", True, T0)
    assert (await history(dispatch, "ann")).entries[0].asked == ["replace active"]


async def test_a_refused_create_of_an_existing_users_name_leaves_their_status(dispatch):
    """The IdP's retry of a create that was done after its 503 is a 409: the user it names is still
    synced (and out of the failure digest); the attempt is in their history. A deleted user's name is free:
    a refused create of it shows."""
    await report(dispatch, action="create", status="synced", user_name="ann", user_id="u1", platform_active=True)
    await report(dispatch, 1, action="create", status="failed", user_name="ANN", detail="userName taken")
    [ann] = (await statuses(dispatch)).users
    assert (ann.status, ann.detail, ann.user_id, ann.platform_active) == ("synced", None, "u1", True)
    assert [e.status for e in (await history(dispatch, "ann")).entries] == ["failed", "synced"]
    await report(dispatch, 2, action="delete", status="deleted", user_name="ann", user_id="u1")
    await report(dispatch, 3, action="create", status="failed", user_name="ann", detail=REFUSED)
    assert [(u.status, u.detail) for u in (await statuses(dispatch)).users] == [("failed", REFUSED)]


async def test_an_older_outcome_arriving_late_does_not_override_a_newer_one(dispatch):
    await report(dispatch, 5, action="patch", status="synced", user_name="ann", user_id="u1")
    await report(dispatch, 1, action="patch", status="failed", user_name="ann", user_id="u1", detail="old")
    [ann] = (await statuses(dispatch)).users
    assert ann.status == "synced" and len((await history(dispatch, "ann")).entries) == 2


async def test_a_redelivered_outcome_counts_once(dispatch):
    first = await report(dispatch, action="create", status="failed", user_name="joe", message_id="m1", detail="x")
    again = await report(dispatch, action="create", status="failed", user_name="joe", message_id="m1", detail="x")
    assert (first.duplicates, again.duplicates) == (0, 1)
    assert len((await history(dispatch, "joe")).entries) == 1


async def test_a_write_that_changed_nothing_is_counted_on_the_user_not_in_their_history(dispatch):
    """Issue 28 item 4: an IdP's re-sync of a synced user (the same PUT) is not a sync: no history entry,
    no new last_synced (the summary's last successful provisioning); counted, with when it came. The same
    report redelivered counts once."""
    await report(dispatch, action="create", status="synced", user_name="ann", user_id="u1")
    for minutes, report_id in ((40, "r1"), (80, "r2"), (80, "r2")):
        await report(dispatch, minutes, message_id=report_id, action="replace", status="synced", user_name="ann",
                     user_id="u1", unchanged=True)
    [ann] = (await statuses(dispatch)).users
    assert (ann.status, ann.last_synced, ann.last_attempt) == ("synced", T0, T0)
    assert (ann.unchanged_syncs, ann.last_checked) == (2, T0 + timedelta(minutes=80))
    assert [(e.action, e.status) for e in (await history(dispatch, "ann")).entries] == [("create", "synced")]
    summary = unwrap(await dispatch(GetSyncSummary(), meta()), SyncSummary)
    assert (summary.last_successful_call, summary.unchanged_syncs, summary.last_checked) == (
        T0, 2, T0 + timedelta(minutes=80))


async def test_a_write_that_changed_nothing_settles_a_user_whose_last_write_was_pending_or_refused(dispatch):
    """A 503'd write finished by a later one that found nothing left to do: the user is synced, as the
    history says (pending -> synced); the same after a refused PATCH the IdP then took back."""
    await report(dispatch, action="create", status="synced", user_name="ann", user_id="u1")
    await report(dispatch, 1, action="replace", status="pending", user_name="ann", user_id="u1", detail="503")
    await report(dispatch, 2, action="replace", status="synced", user_name="ann", user_id="u1", unchanged=True)
    await report(dispatch, 3, action="patch", status="failed", user_id="u1", detail="no free seat")
    await report(dispatch, 4, action="patch", status="synced", user_name="ann", user_id="u1", unchanged=True)
    [ann] = (await statuses(dispatch)).users
    assert (ann.status, ann.detail, ann.last_synced, ann.unchanged_syncs) == (
        "synced", None, T0 + timedelta(minutes=4), 0)
    assert [e.status for e in (await history(dispatch, "ann")).entries] == [
        "synced", "failed", "synced", "pending", "synced"]


async def test_a_batch_records_each_outcome_once_and_a_redelivered_batch_changes_nothing(dispatch):
    batch = [outcome(0, report_id="c1", action="create", status="synced", user_name="ann", user_id="u1"),
             outcome(1, report_id="p1", action="patch", status="failed", user_id="u1", detail="no free seat"),
             outcome(0, "t2", report_id="c2", action="create", status="synced", user_name="bob", user_id="u2")]
    assert await report_all(dispatch, *batch) == OutcomesRecorded(recorded=3, duplicates=0)
    assert await report_all(dispatch, *batch) == OutcomesRecorded(recorded=0, duplicates=3)
    [ann] = (await statuses(dispatch)).users
    assert (ann.status, ann.detail) == ("failed", "no free seat")  # both of hers applied, in the batch's order
    assert [u.user_name for u in (await statuses(dispatch, "t2")).users] == ["bob"]  # each to its own tenant
    assert len((await history(dispatch, "ann")).entries) == 2


async def test_a_redelivered_rename_in_a_batch_leaves_the_users_row_where_it_is(dispatch):
    rename = outcome(1, report_id="r1", action="replace", status="synced", user_name="ann@new.example", user_id="u1")
    await report(dispatch, action="create", status="synced", user_name="ann@old.example", user_id="u1")
    await report_all(dispatch, rename)
    await report(dispatch, 2, action="replace", status="synced", user_name="ann@old.example", user_id="u1")
    assert (await report_all(dispatch, rename)).duplicates == 1  # late: it must not move her row again
    assert [u.user_name for u in (await statuses(dispatch)).users] == ["ann@old.example"]


async def test_an_outcome_in_a_message_of_its_own_is_still_recorded(dispatch):
    """How user stores before batches reported: a rolling upgrade must lose none of theirs."""
    command = ProvisioningOutcome(at=T0, action="create", status="synced", user_name="ann", user_id="u1")
    first = unwrap(await dispatch(command, meta(message_id="m1")), OutcomeRecorded)
    again = unwrap(await dispatch(command, meta(message_id="m1")), OutcomeRecorded)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert [u.user_name for u in (await statuses(dispatch)).users] == ["ann"]


async def test_a_rename_moves_the_users_row(dispatch):
    await report(dispatch, action="create", status="synced", user_name="ann@old.example", user_id="u1")
    await report(dispatch, 1, action="replace", status="synced", user_name="ann@new.example", user_id="u1")
    assert [u.user_name for u in (await statuses(dispatch)).users] == ["ann@new.example"]


async def test_a_member_the_set_could_not_seat_is_found_by_the_set_filter(dispatch):
    """Refused a seat (none free), the member is still in the set (SCIM shows it, the set counts them):
    ``?set=`` must list them among its failures."""
    await report(dispatch, action="create", status="synced", user_name="ann", user_id="u1")
    await report(dispatch, 1, action="membership", status="failed", user_id="u1", user_name="ann",
                 detail=REFUSED, platform_active=False, subscription_set="Sales Team")
    [ann] = (await statuses(dispatch, subscription_set="Sales Team")).users
    assert (ann.status, ann.subscription_set, ann.detail) == ("failed", "Sales Team", REFUSED)


async def test_filters_by_status_product_and_set_and_pages(dispatch):
    await report(dispatch, action="create", status="synced", user_name="a", user_id="1", products=["Sales"])
    await report(dispatch, 1, action="create", status="synced", user_name="b", user_id="2", products=["Talent"],
                 subscription_set="Talent Team")
    await report(dispatch, 2, action="create", status="failed", user_name="c", detail="x", products=["Sales"])
    assert [u.user_name for u in (await statuses(dispatch, product="Sales")).users] == ["c", "a"]
    assert [u.user_name for u in (await statuses(dispatch, subscription_set="Talent Team")).users] == ["b"]
    assert [u.user_name for u in (await statuses(dispatch, status="failed", product="Sales")).users] == ["c"]
    page = await statuses(dispatch, start_index=2, count=1)
    assert (page.total_results, [u.user_name for u in page.users]) == (3, ["b"])


async def test_the_summary_counts_by_status_and_tenants_stay_apart(dispatch):
    await report(dispatch, action="create", status="synced", user_name="a", user_id="1")
    await report(dispatch, 3, action="create", status="failed", user_name="b", detail="x")
    await report(dispatch, 9, tenant="t2", action="create", status="synced", user_name="z", user_id="9")
    summary = unwrap(await dispatch(GetSyncSummary(), meta()), SyncSummary)
    assert (summary.users, summary.by_status, summary.last_successful_call) == (2, {"synced": 1, "failed": 1}, T0)
    assert [u.user_name for u in (await statuses(dispatch, tenant="t2")).users] == ["z"]


async def test_a_deleted_user_shows_as_deleted_and_keeps_their_history(dispatch):
    await report(dispatch, action="create", status="synced", user_name="a", user_id="1", platform_active=True)
    await report(dispatch, 1, action="delete", status="deleted", user_id="1", platform_active=False)
    [a] = (await statuses(dispatch)).users
    assert (a.status, a.platform_active) == ("deleted", False)
    assert [e.action for e in (await history(dispatch, "a")).entries] == ["delete", "create"]


async def test_the_window_of_a_failure_digest(dispatch):
    for minute, name in ((0, "early"), (10, "inside"), (20, "late")):
        await report(dispatch, minute, action="create", status="failed", user_name=name, detail="x")
    page = await statuses(dispatch, status="failed", since=T0 + timedelta(minutes=5), until=T0 + timedelta(minutes=20))
    assert [u.user_name for u in page.users] == ["inside"]


async def test_reads_answer_beside_an_unfinished_write_and_show_only_what_is_committed(dispatch):
    await report(dispatch, action="create", status="synced", user_name="a", user_id="1")
    async with unfinished_write(dispatch, "DELETE FROM user_statuses", "DELETE FROM provisioning_history"):
        async with asyncio.timeout(READ_WITHIN_SECONDS):
            page = await statuses(dispatch)
            entries = (await history(dispatch, "a")).entries
            summary = unwrap(await dispatch(GetSyncSummary(), meta()), SyncSummary)
    assert ([u.user_name for u in page.users], len(entries), summary.users) == (["a"], 1, 1)


async def test_two_batches_writing_one_user_at_once_on_postgres_apply_one_after_the_other(postgres_url, tmp_path):
    """Batches come on any partition, and PostgreSQL has no single writer: a batch holding a tenant's lock
    makes another of that tenant wait, which then reads the user's row as the first left it (else the
    older outcome, written last, would win)."""
    newer = outcome(5, report_id="n", action="replace", status="synced", user_name="ann", user_id="u1")
    older = outcome(1, report_id="o", action="create", status="failed", user_name="ann", detail="old")
    settings = SyncStatusSettings(data_dir=tmp_path, database_url=postgres_url)
    async with bootstrap(settings, ServiceIdentity("sync_status", "t")) as dispatch:
        async with dispatch.deps.uow() as first:
            await first.run(lambda sql: record_all(sql, [(newer.report_id, newer.tenant_id, newer.outcome)]))
            second = asyncio.create_task(report_all(dispatch, older))
            await lock_waited_for(postgres_url)
            await first.commit()
        assert (await second).recorded == 1
        [ann] = (await statuses(dispatch)).users
        assert (ann.status, ann.last_attempt) == ("synced", T0 + timedelta(minutes=5))
        assert [e.status for e in (await history(dispatch, "ann")).entries] == ["synced", "failed"]


async def lock_waited_for(database_url: str) -> None:
    """Return once a transaction waits for an advisory lock another holds."""
    connection = await connect(database_url)
    try:
        async with asyncio.timeout(30):
            while not await connection.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                                "AND NOT granted"):
                await asyncio.sleep(0.01)
    finally:
        await connection.close()

