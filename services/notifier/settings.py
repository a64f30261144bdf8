from pathlib import Path
from typing import Literal

from shared.settings import CommonSettings


class NotifierSettings(CommonSettings):
    """SMTP and delivery settings (``SCIMFLOW_SMTP_*``); the defaults suit a local development sink."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "scimflow@localhost"
    smtp_timeout_seconds: float = 10.0
    delivery_poll_seconds: float = 5.0
    retry_base_seconds: float = 5.0  # doubles per failed attempt ...
    retry_max_seconds: float = 900.0  # ... up to this

    @property
    def db_path(self) -> Path:
        return self.service_data_dir("notifier") / "notifier.sqlite3"
