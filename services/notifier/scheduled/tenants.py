"""The tenants as the scheduled notices need them: each tenant's latest record (its admins, its token),
read from the compacted ``tenants.state`` topic that the gateway writes (shared/tenants_topic.py).

The latest by the gateway's own rule: a record whose revision is not above the one held is a stale copy
(another gateway's change lost the race) and is dropped; revision 0 is a record from before revisions.
Records hold hashes of secrets, never a secret; nothing here is written anywhere.
"""

from __future__ import annotations

from contracts.base import Message
from contracts.tenants.v2 import TenantRecord


class Tenants:
    def __init__(self) -> None:
        self._latest: dict[str, TenantRecord] = {}

    def apply(self, messages: list[Message]) -> None:
        """Tenant records replace the tenant's; the rest is not needed here (activity; v1 records, which have no
        admin to tell)."""
        for record in messages:
            if not isinstance(record, TenantRecord):
                continue
            held = self._latest.get(record.tenant_id)
            if held is None or not 0 < record.revision <= held.revision:
                self._latest[record.tenant_id] = record

    def records(self) -> list[TenantRecord]:
        return list(self._latest.values())
