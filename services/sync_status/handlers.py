"""Handlers of the sync-status reporter: outcomes in (from the user store), the admin's queries out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import col, select

from contracts import MessageMeta
from contracts.sync_status.scim_log_v1 import ListScimCalls, RecordScimCalls
from contracts.sync_status.v1 import (
    GetSyncSummary,
    GetUserHistory,
    HistoryEntry,
    ListUserStatuses,
    OutcomeRecorded,
    OutcomesRecorded,
    ProvisioningOutcome,
    ProvisioningOutcomes,
    SyncSummary,
    UserHistory,
    UserStatus,
    UserStatusPage,
)
from contracts.system.v1 import Ping
from services.sync_status.scim_log import list_scim_calls, record_scim_calls
from services.sync_status.tables import HistoryRow, UserStatusRow
from shared.messaging.dispatch import Handler, tenant_of
from shared.messaging.ping import ping
from shared.sqlite import PlainSql, new_row, table_of
from shared.store import StoreDeps, UnitOfWork, as_utc
from shared.store.portable_sql import json_array_holds, text_position

Deps = StoreDeps[UnitOfWork]


_STATUSES, _HISTORY = table_of(UserStatusRow), table_of(HistoryRow)

#: A user's status as read and written by record_outcome: UserStatusRow's columns as attributes.
Status = SimpleNamespace


def status_row(sql: PlainSql, tenant_id: str, cmd: ProvisioningOutcome) -> tuple[Status | None, str | None]:
    """The user's row: by userName when the outcome has one (a rename moves the row), else by id; and
    the key of the row the user had under their old userName, which a rename leaves to delete."""
    by_id = None
    if cmd.user_id is not None:
        by_id = sql.select_one(_STATUSES, "tenant_id = ? AND user_id = ? LIMIT 1", tenant_id, cmd.user_id)
    if cmd.user_name is None:
        return by_id, None
    key = cmd.user_name.lower()
    renamed_from = by_id.user_name_key if by_id is not None and by_id.user_name_key != key else None
    return sql.select_one(_STATUSES, "tenant_id = ? AND user_name_key = ?", tenant_id, key), renamed_from


def new_status(tenant_id: str, user_name: str, cmd: ProvisioningOutcome, at: datetime) -> Status:
    """A user the reporter has not seen yet, with the table's defaults for the rest."""
    return new_row(UserStatusRow, tenant_id=tenant_id, user_name_key=user_name.lower(), user_name=user_name,
                   status=cmd.status, last_attempt=at)


def refused_create_of_another(row: Status, cmd: ProvisioningOutcome) -> bool:
    """A create refused while a user of that userName exists (the IdP's retry after a 503, answered 409)
    says nothing of that user: their status stays; the history keeps the attempt."""
    return cmd.action == "create" and cmd.status == "failed" and row.user_id is not None and row.status != "deleted"


def apply(row: Status, cmd: ProvisioningOutcome, at: datetime) -> None:
    """The newest attempt wins (outcomes of one user may arrive out of order across partitions)."""
    if as_utc(row.last_attempt) > at or refused_create_of_another(row, cmd):
        return
    row.status, row.detail, row.last_attempt = cmd.status, cmd.detail, at
    if cmd.user_name is not None:
        row.user_name = cmd.user_name
    if cmd.user_id is not None:
        row.user_id = cmd.user_id
    if cmd.status == "synced":
        row.last_synced = at
        row.last_checked = latest([row.last_checked, at])  # a later re-sync may have been counted first
    refused = cmd.status not in ("synced", "deleted") and row.user_id is not None  # leaves the user as they were
    if not refused or cmd.action == "membership":  # refused a seat, a member is still where the allocator put them
        row.subscription_set = cmd.subscription_set
        if cmd.role is not None:  # None: not known to the sender (a delete)
            row.role = cmd.role
    if not refused:
        if cmd.action != "membership" and cmd.user_name is not None:  # the user was read: their email, or none
            row.email = cmd.email
        if cmd.scim_active is not None:  # None: not known to the sender (a membership change)
            row.scim_active = cmd.scim_active
        if cmd.platform_active is not None:
            row.platform_active = cmd.platform_active
        if cmd.products or not row.platform_active:  # a set member's own products are none: keep the held ones
            row.products = cmd.products


async def record_outcome(cmd: ProvisioningOutcome, meta: MessageMeta, deps: Deps) -> OutcomeRecorded:
    """One outcome in a message of its own (how user stores before batches reported)."""
    async with deps.uow() as uow:
        recorded = await uow.run(lambda sql: record_all(sql, [(meta.message_id, tenant_of(meta), cmd)]))
        await uow.commit()
    return OutcomeRecorded(duplicate=not recorded)


async def record_outcomes(cmd: ProvisioningOutcomes, meta: MessageMeta, deps: Deps) -> OutcomesRecorded:
    """A batch of outcomes, in one transaction: per outcome, a message costs the reporter more than
    recording it (bench/RESULTS.md)."""
    reports = [(report.report_id, report.tenant_id, report.outcome) for report in cmd.reports]
    async with deps.uow() as uow:
        recorded = await uow.run(lambda sql: record_all(sql, reports))
        await uow.commit()
    return OutcomesRecorded(recorded=recorded, duplicates=len(cmd.reports) - recorded)


def record_all(sql: PlainSql, reports: Sequence[tuple[str, str, ProvisioningOutcome]]) -> int:
    """Record (report id, tenant, outcome)s in their order; how many were new. Batches come on any partition
    (the user store casts them without a key), so two may carry outcomes of one user at once: their
    tenants are locked first (in one order: two batches never deadlock), and the second reads the user's
    row as the first left it."""
    for tenant_id in sorted({tenant_id for _, tenant_id, _ in reports}):
        sql.lock(f"sync_status.tenant:{tenant_id}")
    return sum(record(sql, report_id, tenant_id, outcome) for report_id, tenant_id, outcome in reports)


def record(sql: PlainSql, report_id: str, tenant_id: str, cmd: ProvisioningOutcome) -> bool:
    """The outcome joins the history and updates the user's status, in plain SQL (every write reports);
    False, changing nothing, when this report id was recorded before (a redelivered report). A write that
    changed nothing of a user already synced is only counted (``checked``)."""
    at = as_utc(cmd.at)
    row, renamed_from = status_row(sql, tenant_id, cmd)
    if cmd.unchanged and row is not None and row.status == "synced" and renamed_from is None:
        return checked(sql, row, report_id, at)
    if row is None and cmd.user_name is not None:
        row = new_status(tenant_id, cmd.user_name, cmd, at)
    key = row.user_name_key if row is not None else f"#{cmd.user_id}"
    entry = {"message_id": report_id, "tenant_id": tenant_id, "user_name_key": key, "at": at,
             "action": cmd.action, "status": cmd.status, "detail": cmd.detail, "asked": cmd.asked}
    if not sql.insert(_HISTORY, entry, on_conflict="IGNORE"):
        return False
    if renamed_from is not None:  # the row follows the new userName
        sql.run("DELETE FROM user_statuses WHERE tenant_id = ? AND user_name_key = ?", tenant_id, renamed_from)
    if row is not None:
        apply(row, cmd, at)
        sql.insert(_STATUSES, vars(row), on_conflict="REPLACE")
    return True


def checked(sql: PlainSql, row: Status, report_id: str, at: datetime) -> bool:
    """An IdP's re-sync of a user that found them as stored: counted on their row, neither in the history
    (thousands of users re-synced every 40 minutes would bury the real changes) nor as their last sync.
    A user whose status is not synced (a write pending after a 503, or refused) goes through ``record``
    as any success does: the write settles them. False for the report last counted, redelivered."""
    if row.last_check_id == report_id:
        return False
    counted = {"unchanged_syncs": row.unchanged_syncs + 1, "last_checked": latest([row.last_checked, at]),
               "last_check_id": report_id}
    sql.update(_STATUSES, {**counted, "tenant_id": row.tenant_id, "user_name_key": row.user_name_key},
               key=("tenant_id", "user_name_key"))
    return True


def to_status(row: UserStatusRow) -> UserStatus:
    return UserStatus(user_id=row.user_id, user_name=row.user_name, status=row.status,
                      detail=row.detail, last_synced=row.last_synced and as_utc(row.last_synced),
                      last_attempt=as_utc(row.last_attempt), scim_active=row.scim_active,
                      platform_active=row.platform_active, products=row.products,
                      subscription_set=row.subscription_set, email=row.email, role=row.role,
                      unchanged_syncs=row.unchanged_syncs, last_checked=row.last_checked and as_utc(row.last_checked))


async def list_user_statuses(cmd: ListUserStatuses, meta: MessageMeta, deps: Deps) -> UserStatusPage:
    conditions = [col(UserStatusRow.tenant_id) == tenant_of(meta)]
    if cmd.status is not None:
        conditions.append(col(UserStatusRow.status) == cmd.status)
    if cmd.subscription_set is not None:
        conditions.append(col(UserStatusRow.subscription_set) == cmd.subscription_set)
    if cmd.since is not None:
        conditions.append(col(UserStatusRow.last_attempt) >= cmd.since)
    if cmd.until is not None:
        conditions.append(col(UserStatusRow.last_attempt) < cmd.until)
    if cmd.product is not None:
        conditions.append(json_array_holds(UserStatusRow.products, cmd.product))
    if term := (cmd.search or "").strip().lower():
        conditions.append(contains(term))
    async with deps.uow(read_only=True) as uow:
        total = (await uow.session.exec(select(func.count()).select_from(UserStatusRow).where(*conditions))).one()
        query = (select(UserStatusRow).where(*conditions)
                 .order_by(col(UserStatusRow.last_attempt).desc(), col(UserStatusRow.user_name_key))
                 .offset(cmd.start_index - 1).limit(cmd.count))
        rows = (await uow.session.exec(query)).all()
        return UserStatusPage(total_results=total, start_index=cmd.start_index, users=[to_status(row) for row in rows])


def contains(term: str) -> ColumnElement[bool]:
    """userName or email containing ``term`` (lower-cased): the store's lower() folds any script (SQLite's is
    Python's; PostgreSQL's its UTF-8 locale's); text_position, unlike LIKE, takes "%" and "_" literally."""
    return or_(text_position(col(UserStatusRow.user_name_key), term) > 0,
               text_position(func.lower(col(UserStatusRow.email)), term) > 0)


async def get_user_history(cmd: GetUserHistory, meta: MessageMeta, deps: Deps) -> UserHistory:
    query = (select(HistoryRow)
             .where(col(HistoryRow.tenant_id) == tenant_of(meta), col(HistoryRow.user_name_key) == cmd.user_name.lower())
             .order_by(col(HistoryRow.at).desc()).limit(cmd.count))
    async with deps.uow(read_only=True) as uow:
        rows = (await uow.session.exec(query)).all()
        entries = [HistoryEntry(at=as_utc(row.at), action=row.action, status=row.status,
                                detail=row.detail, asked=row.asked) for row in rows]
    return UserHistory(user_name=cmd.user_name, entries=entries)


async def get_sync_summary(_: GetSyncSummary, meta: MessageMeta, deps: Deps) -> SyncSummary:
    """Users by status; the last write that changed a user (``last_successful_call``), and the writes that
    found their user already as asked (how many, and the last of any success: the IdP checked in)."""
    # sqlmodel's select() is typed for at most four columns.
    query = (select(UserStatusRow.status, func.count(),  # type: ignore[call-overload]
                    func.sum(UserStatusRow.unchanged_syncs), func.max(UserStatusRow.last_synced),
                    func.max(UserStatusRow.last_checked))
             .where(col(UserStatusRow.tenant_id) == tenant_of(meta)).group_by(col(UserStatusRow.status)))
    async with deps.uow(read_only=True) as uow:
        groups = (await uow.session.exec(query)).all()
    by_status = {status: count for status, count, *_ in groups}
    return SyncSummary(users=sum(by_status.values()), by_status=by_status,
                       unchanged_syncs=sum(unchanged or 0 for _, _, unchanged, _, _ in groups),
                       last_successful_call=latest(synced for *_, synced, _ in groups),
                       last_checked=latest(checked for *_, checked in groups))


def latest(times: Iterable[datetime | None]) -> datetime | None:
    """The latest of ``times`` in UTC (SQLite hands them back naive), None when none is known."""
    known = [as_utc(at) for at in times if at is not None]
    return max(known, default=None)


HANDLERS: Mapping[type, Handler[Deps]] = {
    ProvisioningOutcome: record_outcome,
    ProvisioningOutcomes: record_outcomes,
    ListUserStatuses: list_user_statuses,
    GetUserHistory: get_user_history,
    GetSyncSummary: get_sync_summary,
    RecordScimCalls: record_scim_calls,
    ListScimCalls: list_scim_calls,
    Ping: ping,
}
