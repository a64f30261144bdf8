"""Setup links: a one-time link to the IdP setup screen that an admin hands the customer's IT admin.

Opening the link (redeeming it, once) gives a session for that screen's routes only (access.py says
which). Pure functions from one TenantRecord to the next, like the other rules (rules.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from contracts.tenants.v2 import SetupLink, TenantRecord
from services.gateway.tenancy.credentials import (
    SETUP_LINK_PREFIX,
    SETUP_SESSION_PREFIX,
    Issued,
    matches,
    new_credential,
    split,
)
from shared.scim.errors import ScimError

DEFAULT_SETUP_LINK_DAYS = 3
#: A redeemed setup link's session: a working day from the moment the link is opened, whatever is left
#: of the link's own expiry (that bounds when it can be opened, not how long the screen works).
SETUP_SESSION_HOURS = 8
SETUP_LINK_NOT_VALID = ("The setup link is not valid: it may have been revoked or replaced by a newer one. "
                        "Ask your admin for a new link")
SetupLinkStatus = Literal["active", "expired", "used", "none"]


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
