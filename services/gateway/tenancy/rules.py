"""The rules of a tenant's state, as pure functions from one TenantRecord (v2) to the next: the tenant
itself, its admins, its IdP connection, policies and rate. Its token's rules are in tokens.py, its setup
link's in setup_links.py.

No I/O: an admin view reads the current record, calls one of these, publishes what comes back
(store.py). A broken rule raises ScimError carrying the status the admin API answers with.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from contracts.tenants.v1 import TenantRecord as TenantRecordV1
from contracts.tenants.v2 import (
    DEFAULT_TOKEN_DAYS,
    ApiToken,
    Connection,
    IdpType,
    TenantAdmin,
    TenantRecord,
)
from services.gateway.tenancy.credentials import (
    ADMIN_KEY_PREFIX,
    Issued,
    new_credential,
)
from services.gateway.tenancy.tokens import replace_token
from shared.scim.errors import ScimError


def new_tenant(name: str, now: datetime, *, idp_type: IdpType | None = None,
               token_days: int = DEFAULT_TOKEN_DAYS) -> Issued:
    record = TenantRecord(tenant_id=uuid.uuid4().hex, name=name, created=now, revision=1,
                          connection=Connection(idp_type=idp_type))
    return replace_token(record, token_days, now)


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
