"""The tenants' SCIM call logs, version 1 (sync-status messages beside contracts/sync_status/v1.py).

The gateway records each SCIM call it can attribute to a tenant (its token verified, or known to be
the tenant's though expired or revoked) and casts them in batches (``RecordScimCalls``, calls of any
tenants, no reply); the sync-status reporter keeps each tenant's newest and answers its admin
(``ListScimCalls``). Never on the wire: a request or response body, a header (the token).
Each call has an id: a redelivered batch stores nothing twice.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import MAX_START_INDEX, Command, Query, Result

#: A call's path with its query string, and an error's detail, are cut to these lengths (ending in "…").
PATH_MAX = 512
DETAIL_MAX = 1000
METHOD_MAX = 16

#: failed: answered with a status of 400 or more; succeeded: below 400.
Outcome = Literal["failed", "succeeded"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScimCallEntry(_Part):
    """One SCIM call as the admin reads it."""

    at: datetime  # when the gateway received it, UTC
    method: str = Field(max_length=METHOD_MAX)
    path: str = Field(max_length=PATH_MAX)  # with the query string, as sent (percent-encoded)
    status: int = Field(ge=100, le=999)
    detail: str | None = Field(default=None, max_length=DETAIL_MAX)  # the SCIM Error's detail (status >= 400)
    duration_ms: int = Field(ge=0)


class ScimCall(ScimCallEntry):
    """One SCIM call as the gateway reports it: whose, and an id unique to it."""

    call_id: str = Field(min_length=1, max_length=64)
    tenant_id: str


class RecordScimCalls(Command):
    """SCIM calls of any tenants, in one message (cast): the reporter stores them in one transaction."""

    TYPE = "sync_status.record_scim_calls.v1"

    calls: list[ScimCall] = Field(min_length=1, max_length=1000)


class ScimCallsRecorded(Result):
    """The reporter's answer to a batch of calls (casts get none; a caller that asks gets this)."""

    TYPE = "sync_status.scim_calls_recorded.v1"

    recorded: int
    duplicates: int  # calls stored before (by call id): nothing changed for them


class ListScimCalls(Query):
    """The tenant's recent SCIM calls, newest first."""

    TYPE = "sync_status.list_scim_calls.v1"

    outcome: Outcome | None = None
    start_index: int = Field(default=1, ge=1, le=MAX_START_INDEX)
    count: int = Field(default=50, ge=0, le=200)


class ScimCallPage(Result):
    TYPE = "sync_status.scim_call_page.v1"

    total_results: int
    start_index: int
    calls: list[ScimCallEntry]
