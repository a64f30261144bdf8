"""Tenant records on the compacted ``tenants.state`` topic (key = tenant id, latest wins).

Only a hash of the API token travels or is stored; ``token_id`` is the public part of the token
that lets a gateway find the record without comparing secrets one by one.

Superseded by v2 (contracts/tenants/v2.py): gateways still read v1 records, and write only v2.
"""

from datetime import datetime

from contracts.base import Event


class TenantRecord(Event):
    TYPE = "tenants.tenant_record.v1"

    tenant_id: str
    name: str
    token_id: str
    token_sha256: str
    token_expires_at: datetime | None = None
    created: datetime
