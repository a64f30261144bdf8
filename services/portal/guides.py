"""A guide per IdP: the IdP's own field names with this tenant's values filled in (WorkOS / Scalekit
portals do this; an IT admin copies values, never translates names)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuideStep:
    field: str  # the IdP's own label
    value: str  # what to enter there
    copy: bool = False  # offer a copy button
    note: str = ""


@dataclass(frozen=True)
class Guide:
    idp: str
    where: str  # where in the IdP's console these fields are
    steps: tuple[GuideStep, ...]


TOKEN_HINT = "the API token you generate above (shown once)"


def idp_guide(idp_type: str | None, tenant: dict) -> Guide:
    base_url = tenant["scim_base_url"]
    if idp_type == "okta":
        return _okta(base_url)
    if idp_type == "entra_id":
        return _entra(base_url)
    return _other(base_url)


def _okta(base_url: str) -> Guide:
    return Guide("Okta", "Applications > your app > Provisioning > Integration > Configure API Integration", (
        GuideStep("SCIM connector base URL", base_url, copy=True),
        GuideStep("Unique identifier field for users", "userName", copy=True),
        GuideStep("Supported provisioning actions", "Push New Users, Push Profile Updates, Push Groups, "
                  "Import New Users and Profile Updates"),
        GuideStep("Authentication Mode", "HTTP Header"),
        GuideStep("Authorization (Bearer)", TOKEN_HINT,
                  note="Then click Test API Credentials: the toggle below turns on after Okta's first call."),
    ))


def _entra(base_url: str) -> Guide:
    return Guide("Microsoft Entra ID", "Enterprise applications > your app > Provisioning > Admin Credentials", (
        GuideStep("Provisioning Mode", "Automatic"),
        GuideStep("Tenant URL", f"{base_url}?aadOptscim062020", copy=True,
                  note="The aadOptscim062020 flag makes Entra send standard SCIM PATCH operations."),
        GuideStep("Secret Token", TOKEN_HINT,
                  note="Then click Test Connection: the toggle below turns on after Entra's first call."),
        GuideStep("Groups", "Name each group exactly like a subscription set (Subscription Sets screen)"),
    ))


def _other(base_url: str) -> Guide:
    return Guide("Other SCIM 2.0 client", "your identity provider's SCIM or provisioning settings", (
        GuideStep("SCIM base URL", base_url, copy=True),
        GuideStep("Authentication", "HTTP header Authorization: Bearer <token>", note=TOKEN_HINT),
        GuideStep("Users / Groups endpoints", f"{base_url}/Users, {base_url}/Groups"),
    ))
