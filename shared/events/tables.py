"""The outbox table, the same in the database of each service that emits events (made by the service's own
migrations, with its tables: services/<name>/migrations/)."""

from sqlalchemy import BigInteger, Index, LargeBinary
from sqlmodel import Field, SQLModel


class EventOutboxRow(SQLModel, table=True):
    """A provisioning event, written in the transaction of the change it tells of, until the broker has it
    (outbox.py writes it, relay.py publishes and then deletes it)."""

    __tablename__ = "event_outbox"
    # AUTOINCREMENT: a seq is never given twice, so a relay that deletes the rows it published by seq never
    # deletes a newer row that took the number of one already gone (SQLite reuses a plain rowid past the max).
    __table_args__ = (Index("ix_event_outbox_key", "key", "seq"), {"sqlite_autoincrement": True})

    seq: int | None = Field(default=None, primary_key=True)  # commit order: transactions on the file are serial
    key: str  # <tenant_id>:<subject>: the record's key, and the order the relay keeps
    writer: str  # the process that committed it: its relay publishes it (others only once it is old)
    created_ms: int = Field(sa_type=BigInteger)  # epoch milliseconds of the change (past PostgreSQL's INTEGER)
    body: bytes = Field(sa_type=LargeBinary)  # the CloudEvent as JSON, as the stream carries it
