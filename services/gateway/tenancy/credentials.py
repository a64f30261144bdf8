"""Secrets that are shown once: ``<prefix>_<id>_<secret>``.

The id is not secret: it finds the record (and, as ``<prefix>_<id>``, lets an admin recognise a
token). The 256-bit secret is kept only as its SHA-256 and checked in constant time. A plain hash
(no salt, no slow KDF) is right here: the secret is random and long, not a password to guess.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from contracts.tenants.v2 import TenantRecord

TOKEN_PREFIX = "scf"  # SCIM API tokens
ADMIN_KEY_PREFIX = "sca"  # tenant admins' keys for /admin/v1/tenant
SETUP_LINK_PREFIX = "scl"  # one-time links to the IdP setup screen
SETUP_SESSION_PREFIX = "scs"  # the session a setup link opens: that screen's routes only


@dataclass(frozen=True)
class NewCredential:
    text: str  # the whole credential, returned to its owner once and never stored
    credential_id: str
    sha256: str


@dataclass(frozen=True)
class Issued:
    """A rule's outcome that made a secret: the tenant's next record, and the secret for its one answer."""

    record: TenantRecord
    secret: str  # the new token or admin key: in this one answer, never again


def new_credential(prefix: str) -> NewCredential:
    credential_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    return NewCredential(f"{prefix}_{credential_id}_{secret}", credential_id, sha256_hex(secret))


def split(text: str, prefix: str) -> tuple[str, str] | None:
    """(id, secret), or None when ``text`` is not a credential of this kind."""
    parts = text.split("_", 2)
    if len(parts) != 3 or parts[0] != prefix or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, expected_sha256: str | None) -> bool:
    """Constant time, and a hash is computed even when nothing is expected (no timing tell)."""
    return hmac.compare_digest(sha256_hex(secret), expected_sha256 or sha256_hex("")) and bool(expected_sha256)


def public_prefix(prefix: str, credential_id: str) -> str:
    return f"{prefix}_{credential_id}"
