from __future__ import annotations

from pydantic import PositiveFloat, model_validator

from shared.settings import CommonSettings


class GatewaySettings(CommonSettings):
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    #: Let several gateway processes listen on one port (SO_REUSEPORT: the kernel spreads connections
    #: among them), for scaling out on one host without a load balancer. Off by default, so a second
    #: gateway started by mistake on a port in use fails instead of silently sharing it.
    http_reuse_port: bool = False
    #: What clients use to reach us (behind a proxy, the proxy's URL); SCIM base = this + /scim/v2.
    public_url: str = ""
    #: Kafka round-trip budget; past it the client gets 503 + Retry-After (IdPs time out at ~30s+).
    request_timeout: float = 5.0
    operator_key: str | None = None
    #: SCIM calls per second per tenant on each replica (token bucket); Entra's gallery expects >= 25.
    rate_limit_per_second: PositiveFloat = 100.0
    #: A full bucket holds this many seconds of calls, so an IdP's bursts pass.
    rate_limit_burst_seconds: PositiveFloat = 2.0
    #: How often each replica looks for due token-expiry reminders (the notifier dedupes replicas).
    reminder_interval_seconds: PositiveFloat = 3600.0
    #: Provisioning failures are mailed as one digest per tenant per window of this length.
    failure_digest_minutes: PositiveFloat = 15.0
    #: How often each replica looks for a window that ended (the notifier dedupes replicas).
    failure_digest_check_seconds: PositiveFloat = 60.0
    #: How often each replica looks at every tenant's seats (running out, subscription expiring).
    seat_notice_interval_seconds: PositiveFloat = 300.0
    #: A SCIM call reaches its tenant's call log (the sync-status reporter) at most this much later: each
    #: replica sends its calls in one message per interval, not one per call.
    scim_log_flush_seconds: PositiveFloat = 1.0

    @model_validator(mode="after")
    def _defaults(self) -> GatewaySettings:
        if not self.public_url:
            self.public_url = f"http://{self.http_host}:{self.http_port}"
        if "instance_id" not in self.model_fields_set:
            self.instance_id = f"{self.instance_id}-{self.http_port}"  # one reply topic per process
        return self

    @property
    def scim_base_url(self) -> str:
        return self.public_url.rstrip("/") + "/scim/v2"
