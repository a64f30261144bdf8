from __future__ import annotations

from pydantic import PositiveFloat, model_validator

from shared.settings import CommonSettings


class PortalSettings(CommonSettings):
    #: SCIMFLOW_PORTAL_HOST / _PORT: where the portal listens.
    portal_host: str = "127.0.0.1"
    portal_port: int = 8090
    #: The admin API the portal calls (default: the local gateway on SCIMFLOW_HTTP_PORT).
    portal_api_url: str = ""
    http_port: int = 8080
    #: What people type in their browser (behind a proxy, the proxy's URL). An https URL makes the
    #: session cookie Secure.
    portal_public_url: str = ""
    #: A signed-in session ends after this long without a request, and at the latest after the maximum.
    portal_session_idle_minutes: PositiveFloat = 30.0
    portal_session_max_hours: PositiveFloat = 12.0
    #: Seconds the portal waits for the admin API.
    portal_api_timeout: PositiveFloat = 10.0

    @model_validator(mode="after")
    def _defaults(self) -> PortalSettings:
        if not self.portal_api_url:
            self.portal_api_url = f"http://127.0.0.1:{self.http_port}"
        if not self.portal_public_url:
            self.portal_public_url = f"http://{self.portal_host}:{self.portal_port}"
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.portal_public_url.startswith("https://")
