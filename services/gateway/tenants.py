"""API tokens and the gateway's in-memory directory of tenants.

A token reads ``scf_<token id>_<secret>``: the id (not secret) finds the tenant's record, the
256-bit secret is checked against its SHA-256 in constant time. Only the hash is ever stored or
published. The directory is fed from the compacted ``tenants.state`` topic, so every gateway
replica sees a new or replaced token without a round trip per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts.tenants.v1 import TenantRecord

TOKEN_PREFIX = "scf"
DEFAULT_TOKEN_LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    record: TenantRecord


class TokenRejected(Exception):
    """Why a token is refused; the reason is safe to show to the client."""


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_tenant(name: str, now: datetime, lifetime: timedelta = DEFAULT_TOKEN_LIFETIME) -> IssuedToken:
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    record = TenantRecord(
        tenant_id=uuid.uuid4().hex, name=name, token_id=token_id, token_sha256=sha256_hex(secret),
        token_expires_at=now + lifetime, created=now,
    )
    return IssuedToken(f"{TOKEN_PREFIX}_{token_id}_{secret}", record)


class TenantDirectory:
    def __init__(self) -> None:
        self._tenants: dict[str, TenantRecord] = {}
        self._by_token_id: dict[str, str] = {}
        self._changed = asyncio.Event()

    def apply(self, record: TenantRecord) -> None:
        """Latest record per tenant wins; its previous token stops working at once."""
        previous = self._tenants.get(record.tenant_id)
        if previous is not None:
            self._by_token_id.pop(previous.token_id, None)
        self._tenants[record.tenant_id] = record
        self._by_token_id[record.token_id] = record.tenant_id
        self._changed.set()
        self._changed = asyncio.Event()

    def get(self, tenant_id: str) -> TenantRecord | None:
        return self._tenants.get(tenant_id)

    async def wait_for(self, record: TenantRecord, timeout: float) -> None:
        """Wait until ``record`` (by value) is what the directory holds for its tenant."""
        async with asyncio.timeout(timeout):
            while self._tenants.get(record.tenant_id) != record:
                await self._changed.wait()

    def verify(self, token: str, now: datetime | None = None) -> TenantRecord:
        token_id, secret = _split(token)
        record = self._tenants.get(self._by_token_id.get(token_id, ""))
        # Compare even when the id is unknown, so timing does not tell which ids exist.
        expected = record.token_sha256 if record else sha256_hex("")
        if not hmac.compare_digest(sha256_hex(secret), expected) or record is None:
            raise TokenRejected("The bearer token is not valid")
        if record.token_expires_at and (now or datetime.now(UTC)) >= record.token_expires_at:
            raise TokenRejected("The bearer token has expired")
        return record


def _split(token: str) -> tuple[str, str]:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise TokenRejected("The bearer token is not valid")
    return parts[1], parts[2]
