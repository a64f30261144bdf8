from datetime import timedelta

from shared.settings import CommonSettings, DatabaseUrl, StoreLocation


class SyncStatusSettings(CommonSettings):
    """``SCIMFLOW_HISTORY_DAYS``: how long each user's provisioning history is kept;
    ``SCIMFLOW_SCIM_LOG_DAYS``: how long a tenant's SCIM calls are (at most its newest 1 000 of them)."""

    history_days: int = 90
    scim_log_days: int = 30
    #: ``SCIMFLOW_SYNC_STATUS_DATABASE_URL``: this service's own database, over ``SCIMFLOW_DATABASE_URL``.
    sync_status_database_url: DatabaseUrl = None

    @property
    def history_retention(self) -> timedelta:
        return timedelta(days=self.history_days)

    @property
    def scim_log_retention(self) -> timedelta:
        return timedelta(days=self.scim_log_days)

    @property
    def store(self) -> StoreLocation:
        return self.store_of("sync_status", self.sync_status_database_url, "sync_status.sqlite3")
