"""Standard Webhooks signatures (https://www.standardwebhooks.com): what a receiver verifies a delivery by.

The secret is ``whsec_`` + base64 of random bytes; the signed content is ``<webhook-id>.<webhook-timestamp>.<body>``;
``webhook-signature`` is ``v1,`` + base64 of its HMAC-SHA256. The id is the event's own, the same on every retry
and replay, so a receiver dedupes by it; the timestamp is the attempt's, which receivers check for freshness.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
#: What an endpoint shows of its secret, to tell two apart (the prefix and six characters).
SHOWN_CHARACTERS = len(SECRET_PREFIX) + 6


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def shown_part(secret: str) -> str:
    return secret[:SHOWN_CHARACTERS]


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a delivery."""
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, message_id, timestamp, body)}
