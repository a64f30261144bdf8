"""The user store's handler dependencies, built in its bootstrap (bootstrap.py)."""

from __future__ import annotations

from dataclasses import dataclass

from services.user_store.outcomes import Report, unreported
from services.user_store.seat_state import SeatAsk
from services.user_store.unit_of_work import UnitOfWork
from shared.store import QueryBudget, StoreDeps


@dataclass(frozen=True, kw_only=True)
class Deps(StoreDeps[UnitOfWork]):
    seats: SeatAsk
    report: Report = unreported  # outcomes to the sync-status reporter (outcomes.py)
    seat_timeout: float = 10.0  # when the command has no deadline of its own (the sweeper)
    query_budget: QueryBudget = QueryBudget()  # what a list or filter query may cost (paging.page_of); unbounded
