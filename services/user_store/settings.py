from pathlib import Path

from pydantic import Field

from services.user_store.paging import QUERY_BUDGET_STEPS
from shared.settings import SqliteOnlySettings


class UserStoreSettings(SqliteOnlySettings):
    """``SCIMFLOW_QUERY_BUDGET_STEPS``: the SQLite VM steps one list or filter query may take before it is
    refused as too expensive (paging.QUERY_BUDGET_STEPS); 0: no bound. ``SCIMFLOW_EVENTS_ENABLED``: whether
    the store publishes provisioning events on ``scimflow.events`` (README "Events"); off, it writes none."""

    query_budget_steps: int = Field(default=QUERY_BUDGET_STEPS, ge=0)
    events_enabled: bool = True

    @property
    def query_budget(self) -> int | None:
        return self.query_budget_steps or None

    @property
    def db_path(self) -> Path:
        return self.service_data_dir("user_store") / "users.sqlite3"
