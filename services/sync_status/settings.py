from datetime import timedelta
from pathlib import Path

from shared.settings import CommonSettings


class SyncStatusSettings(CommonSettings):
    """``SCIMFLOW_HISTORY_DAYS``: how long each user's provisioning history is kept."""

    history_days: int = 90

    @property
    def history_retention(self) -> timedelta:
        return timedelta(days=self.history_days)

    @property
    def db_path(self) -> Path:
        return self.service_data_dir("sync_status") / "sync_status.sqlite3"
