"""The admin finds users in the status list by part of their userName or email, and reads each one's
email and effective role (services/sync_status, on a real SQLite file and on a real PostgreSQL database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts import MessageMeta
from contracts.sync_status.v1 import (
    ListUserStatuses,
    ProvisioningOutcome,
    ProvisioningOutcomes,
    ReportedOutcome,
    UserStatus,
    UserStatusPage,
)
from services.sync_status.bootstrap import bootstrap
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import unwrap

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
async def dispatch(sync_status_settings):
    async with bootstrap(sync_status_settings, ServiceIdentity("sync_status", "t")) as dispatcher:
        yield dispatcher


async def report(dispatch, minutes: int, **values) -> None:
    outcome = ProvisioningOutcome(at=T0 + timedelta(minutes=minutes), **values)
    reports = [ReportedOutcome(report_id=uuid.uuid4().hex, tenant_id="t1", outcome=outcome)]
    assert (await dispatch(ProvisioningOutcomes(reports=reports), MessageMeta(message_type="x"))).ok


async def statuses(dispatch, **filters) -> list[UserStatus]:
    return unwrap(await dispatch(ListUserStatuses(**filters), MessageMeta(message_type="x", tenant_id="t1")),
                  UserStatusPage).users


async def names(dispatch, **filters) -> list[str]:
    return [user.user_name for user in await statuses(dispatch, **filters)]


@pytest.fixture
async def three(dispatch):
    """ann and Zoë synced, bob refused; ann's email is another domain's."""
    await report(dispatch, 0, action="create", status="synced", user_name="ann@acme.example", user_id="u1",
                 email="Ann.Smith@Mail.example", role="Admin", products=["Sales"])
    await report(dispatch, 1, action="create", status="failed", user_name="bob@acme.example",
                 email="bob@acme.example", role="User", detail="no free seat")
    await report(dispatch, 2, action="create", status="synced", user_name="ZOË@acme.example", user_id="u3",
                 email="Zoë.MÜLLER@acme.example", role="User", products=["Talent"])
    return dispatch


@pytest.mark.parametrize(("search", "found"), [
    ("smith", ["ann@acme.example"]),  # the email only
    ("BOB@", ["bob@acme.example"]),
    ("zoë@", ["ZOË@acme.example"]),  # folded beyond ASCII, as Python folds it
    ("müller", ["ZOË@acme.example"]),  # the stored email folded too
    ("acme.example", ["ZOË@acme.example", "bob@acme.example", "ann@acme.example"]),
    ("  ann  ", ["ann@acme.example"]),
    ("", ["ZOË@acme.example", "bob@acme.example", "ann@acme.example"]),
    ("%", []),  # taken literally, not as a wildcard
    ("_", []),
    ("carol", []),
])
async def test_search_matches_part_of_the_user_name_or_email_in_any_case(three, search, found):
    assert await names(three, search=search) == found


async def test_search_combines_with_the_other_filters(three):
    assert await names(three, search="acme", status="failed") == ["bob@acme.example"]
    assert await names(three, search="example", product="Sales") == ["ann@acme.example"]
    assert await names(three, search="bob", status="synced") == []


async def test_each_user_shows_their_email_and_effective_role(three):
    assert {(u.user_name, u.email, u.role) for u in await statuses(three)} == {
        ("ann@acme.example", "Ann.Smith@Mail.example", "Admin"), ("bob@acme.example", "bob@acme.example", "User"),
        ("ZOË@acme.example", "Zoë.MÜLLER@acme.example", "User")}


async def test_email_and_role_follow_the_writes_that_know_them(dispatch):
    """A write sets both (an email taken away is none); a membership sets the role only; a refused write
    and a delete, which carry no resource, leave them."""
    await report(dispatch, 0, action="create", status="synced", user_name="ann", user_id="u1", email="a@x.example",
                 role="User")
    await report(dispatch, 1, action="membership", status="synced", user_name="ann", user_id="u1", role="Admin",
                 subscription_set="Admins")
    await report(dispatch, 2, action="patch", status="failed", user_id="u1", detail="no free seat",
                 asked=["admin: products"])
    [ann] = await statuses(dispatch)
    assert (ann.email, ann.role, ann.status) == ("a@x.example", "Admin", "failed")
    await report(dispatch, 3, action="replace", status="synced", user_name="ann", user_id="u1", role="User")
    [ann] = await statuses(dispatch)
    assert (ann.email, ann.role) == (None, "User")
    await report(dispatch, 4, action="delete", status="deleted", user_id="u1")
    assert [(u.email, u.role, u.status) for u in await statuses(dispatch)] == [(None, "User", "deleted")]
