"""The tenant's SCIM API token: issued, rotated (a new one revokes the old in the same record) and deleted.

Pure functions from one TenantRecord to the next, like the other rules (rules.py). A token is checked
against the tenant directory (directory.py ``verify_token``); the revoked ones kept here let it answer
"revoked, and why" to an IdP still holding one. Expiry reminders are the notifier's
(services/notifier/scheduled/token_reminders.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from contracts.tenants.v2 import ApiToken, RevokedToken, TenantRecord
from services.gateway.tenancy.credentials import TOKEN_PREFIX, Issued, new_credential
from shared.scim.errors import ScimError

#: Revoked tokens remembered per tenant: enough to answer "revoked" to an IdP still holding one of
#: the last few; older ones get the plain "not valid".
MAX_REVOKED = 10


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
