from datetime import timedelta
from pathlib import Path

from shared.settings import CommonSettings


class SyncStatusSettings(CommonSettings):
    """``SCIMFLOW_HISTORY_DAYS``: how long each user's provisioning history is kept;
    ``SCIMFLOW_SCIM_LOG_DAYS``: how long a tenant's SCIM calls are (at most its newest 1 000 of them)."""

    history_days: int = 90
    scim_log_days: int = 30

    @property
    def history_retention(self) -> timedelta:
        return timedelta(days=self.history_days)

    @property
    def scim_log_retention(self) -> timedelta:
        return timedelta(days=self.scim_log_days)

    @property
    def db_path(self) -> Path:
        return self.service_data_dir("sync_status") / "sync_status.sqlite3"
