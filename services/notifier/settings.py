from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings

PLAIN_LOGIN = ("SCIMFLOW_SMTP_USERNAME is set but SCIMFLOW_SMTP_TLS is none: the SMTP password would cross the "
               "network in clear. Set SCIMFLOW_SMTP_TLS=starttls (or tls), or SCIMFLOW_SMTP_ALLOW_PLAIN_AUTH=true "
               "for a relay on this machine or a network you trust")


class NotifierSettings(CommonSettings):
    """SMTP and delivery settings (``SCIMFLOW_SMTP_*``); the defaults suit a local development sink."""

    #: A refused value is not echoed in the error: it may be the password.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None  # never in a repr, a log line or a dump
    #: Log in over a plain connection (tls none): only for a relay on this machine or a trusted network.
    smtp_allow_plain_auth: bool = False
    smtp_sender: str = "scimflow@localhost"
    smtp_timeout_seconds: float = 10.0
    delivery_poll_seconds: float = 5.0
    retry_base_seconds: float = 5.0  # doubles per failed attempt ...
    retry_max_seconds: float = 900.0  # ... up to this

    @model_validator(mode="after")
    def _no_login_in_clear(self) -> NotifierSettings:
        if self.smtp_username and self.smtp_tls == "none" and not self.smtp_allow_plain_auth:
            raise ValueError(PLAIN_LOGIN)
        return self

    @property
    def logs_in(self) -> bool:
        """Whether to send AUTH: only with a username, and never in clear unless allowed (refused above;
        checked again here for settings built in code)."""
        return bool(self.smtp_username) and (self.smtp_tls != "none" or self.smtp_allow_plain_auth)

    @property
    def db_path(self) -> Path:
        return self.service_data_dir("notifier") / "notifier.sqlite3"
