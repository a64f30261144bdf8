"""Sync-status messages, version 1.

The user store reports the outcome of every provisioning write (``ProvisioningOutcomes``: several
in one message, cast: no reply; ``ProvisioningOutcome``, one, is still understood); the sync-status
reporter keeps each user's status and history from them and answers the tenant admin's queries.
Outcomes are keyed by ids derived from the command's message id: a redelivered report counts once.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import MAX_START_INDEX, Command, Query, Result

#: membership: the user's seats moved with their subscription set's group (a group write).
Action = Literal["create", "replace", "patch", "delete", "membership"]
#: synced: the write is applied; failed: refused, with the reason; pending: not settled yet (a 503 the
#: IdP retries); deleted: the IdP deleted the user.
Status = Literal["synced", "failed", "pending", "deleted"]


class ProvisioningOutcome(Command):
    TYPE = "sync_status.provisioning_outcome.v1"

    action: Action
    status: Status
    at: datetime
    user_id: str | None = None  # None for a create that was refused: the user never existed
    user_name: str | None = None  # None for a PATCH or DELETE that failed before the user was read
    detail: str | None = None  # why it failed, as the IdP was told
    asked: list[str] = Field(default_factory=list)  # what the IdP sent: attributes, or PATCH "op path"
    scim_active: bool | None = None
    platform_active: bool | None = None
    products: list[str] = Field(default_factory=list)  # asked for (a user write) or held (a membership)
    subscription_set: str | None = None
    email: str | None = None  # the primary (else first) email of a user write's user; None: none
    role: str | None = None  # the effective role (the set's Admin, else their own, else User); None: not known
    #: A write that found the user already as asked (version and lastModified kept): counted, not history.
    unchanged: bool = False


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReportedOutcome(_Part):
    report_id: str  # derived from the command's message id: the same outcome reported again counts once
    tenant_id: str
    outcome: ProvisioningOutcome


class ProvisioningOutcomes(Command):
    """Outcomes of any tenants' writes, in one message: the reporter records them in one transaction."""

    TYPE = "sync_status.provisioning_outcomes.v1"

    reports: list[ReportedOutcome] = Field(min_length=1, max_length=1000)


class UserStatus(_Part):
    user_id: str | None
    user_name: str
    status: Status
    detail: str | None = None
    last_synced: datetime | None = None  # last write applied; None: never
    last_attempt: datetime
    scim_active: bool | None = None
    platform_active: bool | None = None
    products: list[str] = Field(default_factory=list)
    subscription_set: str | None = None
    email: str | None = None  # primary, else first
    role: str | None = None  # effective role; None: not reported yet (users synced before it was)
    unchanged_syncs: int = 0  # the IdP's writes that found the user already as asked (not in the history)
    last_checked: datetime | None = None  # the IdP's last write that succeeded, changing something or not


class ListUserStatuses(Query):
    """The tenant's users by status, newest attempt first; filters combine."""

    TYPE = "sync_status.list_user_statuses.v1"

    status: Status | None = None
    product: str | None = None
    subscription_set: str | None = None
    since: datetime | None = None  # last attempt at or after (a failure digest's window)
    until: datetime | None = None  # last attempt before
    #: userName or email containing this, case-insensitively (blank: any).
    search: str | None = Field(default=None, max_length=256)
    start_index: int = Field(default=1, ge=1, le=MAX_START_INDEX)
    count: int = Field(default=50, ge=0, le=500)


class UserStatusPage(Result):
    TYPE = "sync_status.user_status_page.v1"

    total_results: int
    start_index: int
    users: list[UserStatus]


class HistoryEntry(_Part):
    at: datetime
    action: Action
    status: Status
    detail: str | None = None
    asked: list[str] = Field(default_factory=list)


class GetUserHistory(Query):
    """One user's provisioning history (audit trail), newest first; by userName (failed creates have no id)."""

    TYPE = "sync_status.get_user_history.v1"

    user_name: str
    count: int = Field(default=100, ge=1, le=1000)


class UserHistory(Result):
    TYPE = "sync_status.user_history.v1"

    user_name: str
    entries: list[HistoryEntry]


class GetSyncSummary(Query):
    TYPE = "sync_status.get_sync_summary.v1"


class SyncSummary(Result):
    TYPE = "sync_status.sync_summary.v1"

    users: int
    by_status: dict[str, int]
    last_successful_call: datetime | None = None  # the last write that changed a user
    unchanged_syncs: int = 0  # writes that found their user already as asked, every user's together
    last_checked: datetime | None = None  # the last write that succeeded, changing something or not


class OutcomeRecorded(Result):
    """The reporter's answer to an outcome (casts get none; a caller that asks gets this)."""

    TYPE = "sync_status.outcome_recorded.v1"

    duplicate: bool  # True: this message id was recorded before; nothing changed


class OutcomesRecorded(Result):
    """The reporter's answer to a batch of outcomes (casts get none; a caller that asks gets this)."""

    TYPE = "sync_status.outcomes_recorded.v1"

    recorded: int
    duplicates: int  # reports recorded before (by report id): nothing changed for them
