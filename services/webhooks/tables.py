"""The webhooks service's tables: the events it received (the events API's history), the tenants'
endpoints, the deliveries still to make, every attempt made, and its message journal.

The same tables on SQLite and PostgreSQL: times in epoch milliseconds are BIGINT (PostgreSQL's INTEGER is
32 bits, SQLite's any size), and so are the numbers rows get as they are added (SERIAL_KEY), which never
go back down as old rows are pruned; datetimes are sqlmodel's aware ones (timestamptz on PostgreSQL)."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

#: An added row's number: BIGSERIAL on PostgreSQL; on SQLite INTEGER, the rowid itself (a BIGINT key would
#: not be, and would get no number).
SERIAL_KEY = BigInteger().with_variant(Integer(), "sqlite")


class EventRow(SQLModel, table=True):
    """One event of the public stream, once (by its id), numbered in the order it arrived: a subject's
    events arrive in commit order (one partition), so ``seq`` keeps it, and pages by it stay stable."""

    __tablename__ = "events"
    # No index on received_ms: pruning finds the old events by seq (history.prune), and each index costs
    # every insert its own write.
    __table_args__ = (Index("ix_events_tenant", "tenant_id", "seq"),)

    seq: int | None = Field(default=None, primary_key=True, sa_type=SERIAL_KEY)
    id: str = Field(unique=True)
    tenant_id: str
    type: str
    subject: str
    time_ms: int = Field(sa_type=BigInteger)  # when the change was committed (the event's ``time``)
    received_ms: int = Field(sa_type=BigInteger)  # what the history's retention goes by (in seq order: numbered on arrival)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the CloudEvent as the stream carried it


class EndpointRow(SQLModel, table=True):
    __tablename__ = "endpoints"
    __table_args__ = (Index("ix_endpoints_tenant", "tenant_id"),)

    id: str = Field(primary_key=True)
    tenant_id: str
    url: str
    description: str = ""
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    disabled_reason: str | None = None
    created: datetime
    failing_since: datetime | None = None
    #: ``whsec_`` + base64: the key deliveries are signed with (it must be kept whole to sign).
    secret: str


class DeliveryRow(SQLModel, table=True):
    """An event still to deliver to an endpoint; deleted once delivered. A subject's deliveries to one
    endpoint go one after another, by ``event_seq``; a claim (``claimed_until_ms``) keeps a second copy
    of the service from sending the same one at once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_seq", name="uq_deliveries_event"),
        Index("ix_deliveries_subject", "endpoint_id", "key", "event_seq"),
        Index("ix_deliveries_due", "next_attempt_ms"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=SERIAL_KEY)
    endpoint_id: str
    event_seq: int = Field(sa_type=BigInteger)
    key: str  # the event's subject within its tenant: the order deliveries keep
    attempts: int = 0
    next_attempt_ms: int = Field(sa_type=BigInteger)
    claimed_until_ms: int | None = Field(default=None, sa_type=BigInteger)


class AttemptRow(SQLModel, table=True):
    """One try to deliver an event to an endpoint, as the deliveries endpoint lists them."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_endpoint", "endpoint_id", "id"), Index("ix_attempts_time", "time"))

    id: int | None = Field(default=None, primary_key=True, sa_type=SERIAL_KEY)
    endpoint_id: str
    event_id: str
    event_type: str
    attempt: int
    time: datetime
    status_code: int | None = None
    latency_ms: int
    succeeded: bool
    error: str | None = None


class TenantMarkRow(SQLModel, table=True):
    """The last revision of a tenant's record whose changes were published (tenant_events.py), and what of
    it the next revision is compared with."""

    __tablename__ = "tenant_marks"

    tenant_id: str = Field(primary_key=True)
    revision: int
    token_id: str | None = None
    token_expires_at: datetime | None = None
    connection: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: The token's last reminder published: a milestone's days ("7"), or "expired".
    reminded: str | None = None


class ProcessedMessage(SQLModel, table=True):
    """The journal: a redelivered command gets its first answer (the secret of an endpoint it created)."""

    __tablename__ = "webhooks_processed_messages"

    message_id: str = Field(primary_key=True)
    result: dict = Field(sa_column=Column(JSON, nullable=False))
    processed_at: datetime


TABLES = (EventRow, EndpointRow, DeliveryRow, AttemptRow, TenantMarkRow, ProcessedMessage)
