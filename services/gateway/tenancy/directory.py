"""The gateway's in-memory directory of tenants, fed from the compacted ``tenants.state`` topic.

Every replica holds every tenant (a few small records each), so checking a SCIM token or an admin
key needs no round trip, and a replaced or deleted token stops working on a replica as soon as the
record reaches it (milliseconds on a healthy broker).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from contracts.base import Message
from contracts.tenants.v1 import TenantRecord as TenantRecordV1
from contracts.tenants.v2 import RevokedToken, TenantActivity, TenantAdmin, TenantRecord
from services.gateway.tenancy.credentials import (
    ADMIN_KEY_PREFIX,
    SETUP_LINK_PREFIX,
    SETUP_SESSION_PREFIX,
    TOKEN_PREFIX,
    matches,
    public_prefix,
    split,
)
from services.gateway.tenancy.rules import upgrade
from services.gateway.tenancy.setup_links import SETUP_LINK_NOT_VALID

NOT_VALID = "The bearer token is not valid"
REVOKED = {
    "replaced": "The bearer token was revoked: an admin generated a newer one",
    "deleted": "The bearer token was revoked: an admin deleted it; provisioning stops until a new one is added",
}


class StaleWrite(Exception):
    """A record built on an older one than the directory holds: another replica changed the tenant first."""


class TokenRejected(Exception):
    """Why a credential is refused; the reason is safe to show to the client. ``tenant_id``: whose it is,
    when its secret is one the tenant had (an expired or revoked token: the call joins their call log)."""

    def __init__(self, reason: str, tenant_id: str | None = None) -> None:
        super().__init__(reason)
        self.tenant_id = tenant_id


class TenantDirectory:
    def __init__(self) -> None:
        self._tenants: dict[str, TenantRecord] = {}
        self._activity: dict[str, TenantActivity] = {}
        self._tokens: dict[str, str] = {}  # current token id -> tenant id
        #: Never shrinks while the process lives, so a stale copy of a record (a lost update from
        #: another replica) cannot bring a revoked token back here.
        self._revoked: dict[str, RevokedToken] = {}
        self._revoked_of: dict[str, str] = {}  # revoked token id -> tenant id
        self._admin_keys: dict[str, tuple[str, str]] = {}  # key id -> (tenant id, admin id)
        self._setup_keys: dict[str, str] = {}  # public prefix of a setup link or its session -> tenant id
        self._waiters: dict[str, list[tuple[TenantRecord, asyncio.Future[None]]]] = {}

    def apply(self, message: Message) -> None:
        if isinstance(message, TenantActivity):
            self.merge_activity(message)
        elif isinstance(message, TenantRecordV1):
            self._set(upgrade(message))
        elif isinstance(message, TenantRecord):
            self._set(message)
        else:
            raise TypeError(f"{message.TYPE} is not a tenant message")

    def _set(self, record: TenantRecord) -> None:
        """A newer record replaces the tenant's (every replica reads the topic in the same order, so all
        keep the same one); a stale one is dropped and its writer told. Its old keys go with it."""
        previous = self._tenants.get(record.tenant_id)
        if previous is not None and 0 < record.revision <= previous.revision:
            self._settle(record, StaleWrite(f"tenant {record.tenant_id} is at revision {previous.revision}"))
            return
        if previous is not None:
            if previous.token is not None:
                self._tokens.pop(previous.token.token_id, None)
            for admin in previous.admins:
                self._admin_keys.pop(admin.key_id, None)
            for prefix in _setup_prefixes(previous):
                self._setup_keys.pop(prefix, None)
        self._tenants[record.tenant_id] = record
        if record.token is not None:
            self._tokens[record.token.token_id] = record.tenant_id
        self._revoked.update((revoked.token_id, revoked) for revoked in record.revoked_tokens)
        self._revoked_of.update((revoked.token_id, record.tenant_id) for revoked in record.revoked_tokens)
        self._admin_keys.update((admin.key_id, (record.tenant_id, admin.admin_id)) for admin in record.admins)
        self._setup_keys.update((prefix, record.tenant_id) for prefix in _setup_prefixes(record))
        self._settle(record, None)

    def _settle(self, record: TenantRecord, failure: StaleWrite | None) -> None:
        """Tell whoever is waiting for ``record`` that it was applied, or dropped as stale."""
        for expected, applied in self._waiters.get(record.tenant_id, []):
            if expected == record and not applied.done():
                if failure is None:
                    applied.set_result(None)
                else:
                    applied.set_exception(failure)

    def merge_activity(self, activity: TenantActivity) -> None:
        """Replicas report in any order: keep the latest use and the earliest connection."""
        known = self._activity.get(activity.tenant_id)
        if known is not None:
            latest = max(known, activity, key=lambda a: a.last_used_at)
            first = min(known.first_connected_at, activity.first_connected_at)
            activity = latest.model_copy(update={"first_connected_at": first})
        self._activity[activity.tenant_id] = activity

    def get(self, tenant_id: str) -> TenantRecord | None:
        return self._tenants.get(tenant_id)

    def records(self) -> list[TenantRecord]:
        return list(self._tenants.values())

    def activity(self, tenant_id: str) -> TenantActivity | None:
        return self._activity.get(tenant_id)

    @contextmanager
    def expecting(self, record: TenantRecord) -> Iterator[asyncio.Future[None]]:
        """A future done once this replica applies ``record``: register before publishing it."""
        applied: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters.setdefault(record.tenant_id, [])
        waiters.append((record, applied))
        try:
            yield applied
        finally:
            waiters.remove((record, applied))

    def verify_token(self, token: str, now: datetime) -> TenantRecord:
        token_id, secret = split(token, TOKEN_PREFIX) or ("", "")
        revoked = self._revoked.get(token_id)
        if revoked is not None and matches(secret, revoked.token_sha256):
            raise TokenRejected(REVOKED[revoked.reason], self._revoked_of.get(token_id))
        record = self._tenants.get(self._tokens.get(token_id, ""))
        current = record.token if record is not None else None
        if record is None or current is None or not matches(secret, current.token_sha256):
            raise TokenRejected(NOT_VALID)
        if now >= current.expires_at:
            raise TokenRejected(f"The bearer token expired at {current.expires_at.isoformat()}; "
                                f"an admin must generate a new one", record.tenant_id)
        return record

    def verify_admin(self, key: str) -> tuple[TenantRecord, TenantAdmin]:
        key_id, secret = split(key, ADMIN_KEY_PREFIX) or ("", "")
        tenant_id, admin_id = self._admin_keys.get(key_id, ("", ""))
        record = self._tenants.get(tenant_id)
        admin = next((a for a in record.admins if a.admin_id == admin_id), None) if record else None
        if record is None or admin is None or not matches(secret, admin.key_sha256):
            raise TokenRejected("The admin key is not valid")
        return record, admin

    def setup_link_tenant(self, key: str) -> str:
        """The tenant whose current setup link this is; redeem_setup_link checks the secret as it spends it."""
        link_id, _ = split(key, SETUP_LINK_PREFIX) or ("", "")
        tenant_id = self._setup_keys.get(public_prefix(SETUP_LINK_PREFIX, link_id))
        if tenant_id is None:
            raise TokenRejected(SETUP_LINK_NOT_VALID)
        return tenant_id

    def verify_setup_session(self, key: str, now: datetime) -> TenantRecord:
        session_id, secret = split(key, SETUP_SESSION_PREFIX) or ("", "")
        record = self._tenants.get(self._setup_keys.get(public_prefix(SETUP_SESSION_PREFIX, session_id), ""))
        link = record.setup_link if record is not None else None
        if (record is None or link is None or link.session_id != session_id or link.session_expires_at is None
                or not matches(secret, link.session_sha256)):
            raise TokenRejected("The setup session is not valid: its link may have been revoked or replaced. "
                                "Ask your admin for a new link")
        if now >= link.session_expires_at:
            raise TokenRejected(f"The setup session expired at {link.session_expires_at.isoformat()}; "
                                f"ask your admin for a new link")
        return record


def _setup_prefixes(record: TenantRecord) -> list[str]:
    """How the directory finds a tenant from its setup link's key, and from the session's it opened."""
    link = record.setup_link
    if link is None:
        return []
    prefixes = [public_prefix(SETUP_LINK_PREFIX, link.link_id)]
    if link.session_id is not None:
        prefixes.append(public_prefix(SETUP_SESSION_PREFIX, link.session_id))
    return prefixes
