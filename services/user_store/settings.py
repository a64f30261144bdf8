from pydantic import Field

from services.user_store.paging import QUERY_BUDGET_STEPS, QUERY_TIMEOUT_MS
from shared.settings import CommonSettings, DatabaseUrl, StoreLocation
from shared.store import QueryBudget


class UserStoreSettings(CommonSettings):
    """``SCIMFLOW_QUERY_BUDGET_STEPS``: the SQLite VM steps one list or filter query may take before it is
    refused as too expensive (paging.QUERY_BUDGET_STEPS); ``SCIMFLOW_QUERY_TIMEOUT_MS``: PostgreSQL's
    counterpart, the statement timeout of such a query; 0: no bound. ``SCIMFLOW_EVENTS_ENABLED``: whether
    the store publishes provisioning events on ``scimflow.events`` (README "Events"); off, it writes none."""

    query_budget_steps: int = Field(default=QUERY_BUDGET_STEPS, ge=0)
    query_timeout_ms: int = Field(default=QUERY_TIMEOUT_MS, ge=0)
    events_enabled: bool = True
    #: ``SCIMFLOW_USER_STORE_DATABASE_URL``: this service's own database, over ``SCIMFLOW_DATABASE_URL``.
    user_store_database_url: DatabaseUrl = None

    @property
    def query_budget(self) -> QueryBudget:
        return QueryBudget(steps=self.query_budget_steps or None, timeout_ms=self.query_timeout_ms or None)

    @property
    def store(self) -> StoreLocation:
        return self.store_of("user_store", self.user_store_database_url, "users.sqlite3")
