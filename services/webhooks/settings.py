"""The webhooks service's settings (``SCIMFLOW_WEBHOOKS_*``): where it keeps its state (a SQLite file, or its
schema of a PostgreSQL database when its copies run on several hosts), deliveries and the events history."""

from __future__ import annotations

from datetime import timedelta

from shared.settings import CommonSettings, DatabaseUrl, StoreLocation


class WebhooksSettings(CommonSettings):
    """Delivery and history settings (``SCIMFLOW_WEBHOOKS_*``); the defaults suit production."""

    #: Deliver to loopback, link-local, private and other non-public addresses: off, so that a tenant's
    #: endpoint cannot reach into the vendor's own network (SSRF). `make run` and the tests turn it on.
    webhooks_allow_private_addresses: bool = False
    #: Endpoints on plain http (the signature still protects the body, not its secrecy): off, https only.
    webhooks_allow_http: bool = False
    webhooks_timeout_seconds: float = 10.0
    #: The first retry's delay; each failure doubles it, up to the most, with jitter (a half to the whole).
    webhooks_retry_base_seconds: float = 5.0
    webhooks_retry_max_seconds: float = 3600.0
    #: An endpoint failing this long (no success since) is disabled, and its tenant's admins are told.
    webhooks_give_up_after_days: float = 3.0
    #: Deliveries sent at once by one copy of the service (each waits for its endpoint).
    webhooks_concurrency: int = 32
    webhooks_poll_seconds: float = 1.0
    #: Publish the tenants' token and connection events (SCIMFLOW_EVENTS_ENABLED, as the stores' events).
    events_enabled: bool = True
    #: How often tokens are looked at for their reminders (``scimflow.token.expiring`` / ``.expired``).
    token_reminder_check_seconds: float = 60.0
    #: How long the events API (and replay) keep events, and the deliveries endpoint its attempts.
    events_history_days: int = 30
    #: ``SCIMFLOW_WEBHOOKS_DATABASE_URL``: this service's own database, over ``SCIMFLOW_DATABASE_URL``.
    webhooks_database_url: DatabaseUrl = None

    @property
    def retry_base(self) -> timedelta:
        return timedelta(seconds=self.webhooks_retry_base_seconds)

    @property
    def retry_max(self) -> timedelta:
        return timedelta(seconds=self.webhooks_retry_max_seconds)

    @property
    def give_up_after(self) -> timedelta:
        return timedelta(days=self.webhooks_give_up_after_days)

    @property
    def history(self) -> timedelta:
        return timedelta(days=self.events_history_days)

    @property
    def store(self) -> StoreLocation:
        return self.store_of("webhooks", self.webhooks_database_url, "webhooks.sqlite3")
