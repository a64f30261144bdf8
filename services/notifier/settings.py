"""The notifier's settings (``SCIMFLOW_*``): where it keeps its state (a SQLite file, or its schema of a
PostgreSQL database when its copies run on several hosts), SMTP, delivery retries, and how often the
scheduled notices are looked for (scheduled/)."""

from __future__ import annotations

from typing import Literal

from pydantic import PositiveFloat, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings, DatabaseUrl, StoreLocation

PLAIN_LOGIN = ("SCIMFLOW_SMTP_USERNAME is set but SCIMFLOW_SMTP_TLS is none: the SMTP password would cross the "
               "network in clear. Set SCIMFLOW_SMTP_TLS=starttls (or tls), or SCIMFLOW_SMTP_ALLOW_PLAIN_AUTH=true "
               "for a relay on this machine or a network you trust")


class NotifierSettings(CommonSettings):
    """SMTP and delivery settings (``SCIMFLOW_SMTP_*``), and how often the scheduled notices are looked
    for; the defaults suit a local development sink."""

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

    # The notices the notifier raises as time passes (scheduled/): every notifier process looks, and the
    # notices' dedupe keys make one notice of all their looks.
    #: How often to look for due token-expiry reminders (30, 14, 7 and 1 days before, and at expiry).
    reminder_interval_seconds: PositiveFloat = 3600.0
    #: Provisioning failures are mailed as one digest per tenant per window of this length.
    failure_digest_minutes: PositiveFloat = 15.0
    #: How often to look for a digest window that ended.
    failure_digest_check_seconds: PositiveFloat = 60.0
    #: How often to look at every tenant's seats (running out, subscription expiring).
    seat_notice_interval_seconds: PositiveFloat = 300.0
    #: How long a look waits for the service it asks (the sync-status reporter, the seat allocator);
    #: the same setting as the gateway's wait.
    request_timeout: float = 5.0
    #: ``SCIMFLOW_NOTIFIER_DATABASE_URL``: this service's own database, over ``SCIMFLOW_DATABASE_URL``.
    notifier_database_url: DatabaseUrl = None

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
    def store(self) -> StoreLocation:
        return self.store_of("notifier", self.notifier_database_url, "notifier.sqlite3")
