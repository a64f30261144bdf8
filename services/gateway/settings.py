"""The gateway's settings (``SCIMFLOW_*``): where it listens, how long it waits for a service, its limits.

Read once in ``__main__``; the tests build them explicitly (shared/settings.py).
"""

from __future__ import annotations

from pydantic import (
    PositiveFloat,
    PositiveInt,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings

#: The operator key opens every tenant: long enough that guessing it is hopeless even unthrottled (the
#: generated one, shared/operator_key.py, has 43 characters).
MIN_OPERATOR_KEY_LENGTH = 32


class GatewaySettings(CommonSettings):
    #: A refused value is not echoed in the error: it may be the operator key.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

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
    #: How long /readyz waits for the broker and for each service group's Pong (services/gateway/readiness.py).
    readiness_timeout: PositiveFloat = 2.0
    #: SecretStr: never in a repr, a log line or a dump. Unset: the generated key file (shared/operator_key.py).
    operator_key: SecretStr | None = None
    #: SCIM calls per second per tenant on each replica (token bucket); Entra's gallery expects >= 25.
    rate_limit_per_second: PositiveFloat = 100.0
    #: A full bucket holds this many seconds of calls, so an IdP's bursts pass.
    rate_limit_burst_seconds: PositiveFloat = 2.0
    #: A SCIM call reaches its tenant's call log (the sync-status reporter) at most this much later: each
    #: replica sends its calls in one message per interval, not one per call.
    scim_log_flush_seconds: PositiveFloat = 1.0

    #: Admin API calls per second per caller (the operator, each admin key, each setup session) on each
    #: replica; a full bucket holds ADMIN_BURST_SECONDS of them, so a page's or a script's burst passes.
    admin_rate_limit_per_second: PositiveFloat = 50.0
    #: Failed authentications per credential (its public id; the operator key is one) per minute on each
    #: replica; past them its calls get 429 until the minute ends, unchecked (services/gateway/tenancy/auth_failures.py).
    auth_failures_per_minute: PositiveInt = 10

    @field_validator("operator_key")
    @classmethod
    def _long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        if key is None or not key.get_secret_value():
            return None  # SCIMFLOW_OPERATOR_KEY= (empty) is unset, as before
        if len(key.get_secret_value()) < MIN_OPERATOR_KEY_LENGTH:
            raise ValueError(f"SCIMFLOW_OPERATOR_KEY must be at least {MIN_OPERATOR_KEY_LENGTH} characters: "
                             f"generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`, "
                             f"or leave it unset to use the key generated into $SCIMFLOW_DATA_DIR/operator.key")
        return key

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
