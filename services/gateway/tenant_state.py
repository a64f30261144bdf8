"""The rules of a tenant's state, as pure functions from one TenantRecord (v2) to the next.

No I/O: an admin view reads the current record, calls one of these, publishes what comes back.
A broken rule raises ScimError carrying the status the admin API answers with.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from contracts.tenants.v1 import TenantRecord as TenantRecordV1
from contracts.tenants.v2 import (
    ApiToken,
    Connection,
    IdpType,
    RevokedToken,
    SetupLink,
    TenantAdmin,
    TenantRecord,
)
from services.gateway.credentials import (
    ADMIN_KEY_PREFIX,
    SETUP_LINK_PREFIX,
    SETUP_SESSION_PREFIX,
    TOKEN_PREFIX,
    matches,
    new_credential,
    split,
)
from shared.scim.errors import ScimError

TOKEN_LIFETIMES_DAYS = (90, 180, 365)  # the portal's choices: 90 days, 180 days, 1 year
DEFAULT_TOKEN_DAYS = 365
#: Revoked tokens remembered per tenant: enough to answer "revoked" to an IdP still holding one of
#: the last few; older ones get the plain "not valid".
MAX_REVOKED = 10
DEFAULT_SETUP_LINK_DAYS = 3
#: A redeemed setup link's session: a working day from the moment the link is opened, whatever is left
#: of the link's own expiry (that bounds when it can be opened, not how long the screen works).
SETUP_SESSION_HOURS = 8
SETUP_LINK_NOT_VALID = ("The setup link is not valid: it may have been revoked or replaced by a newer one. "
                        "Ask your admin for a new link")
SetupLinkStatus = Literal["active", "expired", "used", "none"]


@dataclass(frozen=True)
class Issued:
    record: TenantRecord
    secret: str  # the new token or admin key: in this one answer, never again


def new_tenant(name: str, now: datetime, *, idp_type: IdpType | None = None,
               token_days: int = DEFAULT_TOKEN_DAYS) -> Issued:
    record = TenantRecord(tenant_id=uuid.uuid4().hex, name=name, created=now, revision=1,
                          connection=Connection(idp_type=idp_type))
    return replace_token(record, token_days, now)


def replace_token(record: TenantRecord, days: int, now: datetime, *, confirmed: bool = False) -> Issued:
    """A new token; the previous one is revoked in the same record, so no replica has both."""
    if record.token is not None and not confirmed:
        raise ScimError(409, "This tenant has a token: a new one invalidates it at once, and the IdP stops "
                             "provisioning until it has the new one. Send \"replace\": true to proceed")
    credential = new_credential(TOKEN_PREFIX)
    token = ApiToken(token_id=credential.credential_id, token_sha256=credential.sha256, created=now,
                     expires_at=now + timedelta(days=days))
    revoked = _revoked_with_current(record, now, "replaced")
    return Issued(record.model_copy(update={"token": token, "revoked_tokens": revoked}), credential.text)


def delete_token(record: TenantRecord, now: datetime) -> TenantRecord:
    if record.token is None:
        raise ScimError(404, "This tenant has no API token")
    return record.model_copy(update={"token": None, "revoked_tokens": _revoked_with_current(record, now, "deleted")})


def _revoked_with_current(record: TenantRecord, now: datetime,
                          reason: Literal["replaced", "deleted"]) -> tuple[RevokedToken, ...]:
    if record.token is None:
        return record.revoked_tokens
    gone = RevokedToken(token_id=record.token.token_id, token_sha256=record.token.token_sha256,
                        revoked_at=now, reason=reason)
    return (gone, *record.revoked_tokens)[:MAX_REVOKED]


def add_admin(record: TenantRecord, name: str, email: str, now: datetime) -> Issued:
    if any(admin.email.lower() == email.lower() for admin in record.admins):
        raise ScimError(409, f"{email} is already an admin of this tenant")
    credential = new_credential(ADMIN_KEY_PREFIX)
    admin = TenantAdmin(admin_id=uuid.uuid4().hex, name=name, email=email, key_id=credential.credential_id,
                        key_sha256=credential.sha256, created=now)
    return Issued(record.model_copy(update={"admins": (*record.admins, admin)}), credential.text)


def find_admin(record: TenantRecord, admin_id: str) -> TenantAdmin:
    """Only among this tenant's admins: another tenant's admin id is simply not found (404)."""
    for admin in record.admins:
        if admin.admin_id == admin_id:
            return admin
    raise ScimError(404, f"No admin {admin_id!r} in this tenant")


def remove_admin(record: TenantRecord, admin_id: str) -> TenantRecord:
    gone = find_admin(record, admin_id)
    return record.model_copy(update={"admins": tuple(a for a in record.admins if a is not gone)})


def new_setup_link(record: TenantRecord, days: int, now: datetime, created_by: str) -> Issued:
    """A one-time link to the IdP setup screen; it replaces the last one, which ends that one's session too."""
    credential = new_credential(SETUP_LINK_PREFIX)
    link = SetupLink(link_id=credential.credential_id, link_sha256=credential.sha256, created=now,
                     expires_at=now + timedelta(days=days), created_by=created_by)
    return Issued(record.model_copy(update={"setup_link": link}), credential.text)


def delete_setup_link(record: TenantRecord) -> TenantRecord:
    if record.setup_link is None:
        raise ScimError(404, "This tenant has no setup link")
    return record.model_copy(update={"setup_link": None})


def redeem_setup_link(record: TenantRecord, key: str, now: datetime) -> Issued:
    """Open the link, once: it gives a session key for the IdP setup screen (the link's record keeps its hash)."""
    link = _openable(record.setup_link, key, now)
    credential = new_credential(SETUP_SESSION_PREFIX)
    opened = link.model_copy(update={"redeemed_at": now, "session_id": credential.credential_id,
                                     "session_sha256": credential.sha256,
                                     "session_expires_at": now + timedelta(hours=SETUP_SESSION_HOURS)})
    return Issued(record.model_copy(update={"setup_link": opened}), credential.text)


def _openable(link: SetupLink | None, key: str, now: datetime) -> SetupLink:
    link_id, secret = split(key, SETUP_LINK_PREFIX) or ("", "")
    if link is None or link.link_id != link_id or not matches(secret, link.link_sha256):
        raise ScimError(401, SETUP_LINK_NOT_VALID)
    if link.redeemed_at is not None:
        raise ScimError(401, f"This setup link was already used at {link.redeemed_at.isoformat()}: it opens once. "
                             f"Ask your admin for a new link")
    if now >= link.expires_at:
        raise ScimError(401, f"This setup link expired at {link.expires_at.isoformat()}; ask your admin for a new link")
    return link


def setup_link_status(link: SetupLink | None, now: datetime) -> SetupLinkStatus:
    if link is None:
        return "none"
    if link.redeemed_at is not None:
        return "used"
    return "expired" if now >= link.expires_at else "active"


def find_tenants(records: list[TenantRecord], search: str = "") -> list[TenantRecord]:
    """The operator's list: by name in any case (then id, so equal names keep one order); ``search`` is
    part of the name in any case, or the exact tenant id."""
    wanted = search.casefold()
    found = [r for r in records if wanted in r.name.casefold() or r.tenant_id == search]
    return sorted(found, key=lambda r: (r.name.casefold(), r.tenant_id))


def manages_users(record: TenantRecord, connected: bool) -> bool:
    """The effective switch: on when chosen (or, never chosen, once the IdP connected) and SSO is on."""
    return _wanted(record, connected) and record.connection.sso_enabled


def _wanted(record: TenantRecord, connected: bool) -> bool:
    chosen = record.connection.manage_users_through_idp
    return chosen if chosen is not None else connected


def change_connection(record: TenantRecord, changes: dict[str, Any], connected: bool) -> TenantRecord:
    """Disabling goes in the seeds' order: managing users through the IdP off first, then SSO reset."""
    changed = record.model_copy(update={"connection": record.connection.model_copy(update=changes)})
    if not changed.connection.sso_enabled and _wanted(changed, connected):
        # Only a change of these two is refused: SSO reset before the IdP connected leaves "never chosen"
        # wanted once it connects, and an unrelated change (the IdP type, nothing) must still go through.
        if changes.get("sso_enabled") is False:
            raise ScimError(409, "Turn off 'Manage users through IdP' (manage_users_through_idp: false) "
                                 "before resetting SSO: disabling goes in that order")
        if changes.get("manage_users_through_idp") is True:
            raise ScimError(409, "SSO is reset for this tenant: set it up again (sso_enabled: true) "
                                 "before managing users through the IdP")
    return changed


def change_policies(record: TenantRecord, changes: dict[str, Any]) -> TenantRecord:
    return record.model_copy(update={"policies": record.policies.model_copy(update=changes)})


def set_rate_limit(record: TenantRecord, per_second: float | None) -> TenantRecord:
    return record.model_copy(update={"rate_limit_per_second": per_second})


def upgrade(v1: TenantRecordV1) -> TenantRecord:
    """A v1 record as v2 (records written before v2 existed stay readable)."""
    expires = v1.token_expires_at or v1.created + timedelta(days=DEFAULT_TOKEN_DAYS)
    token = ApiToken(token_id=v1.token_id, token_sha256=v1.token_sha256, created=v1.created, expires_at=expires)
    return TenantRecord(tenant_id=v1.tenant_id, name=v1.name, created=v1.created, token=token)
