from pathlib import Path

from shared.settings import CommonSettings


class UserStoreSettings(CommonSettings):
    @property
    def db_path(self) -> Path:
        return self.service_data_dir("user_store") / "users.sqlite3"
