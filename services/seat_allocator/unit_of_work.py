"""One transaction per command, with the journal of processed message ids inside it.

The journal keeps the whole reply, a failure included: a refused allocation writes its failure
record, so a redelivery must get the same refusal back, not a second attempt at seats freed since.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Reply
from services.seat_allocator.repository import Products, Seats, Sets, Users
from services.seat_allocator.tables import ProcessedMessage
from shared.store import UnitOfWork as SessionUnitOfWork


class Journal:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def reply_to(self, message_id: str) -> Reply | None:
        entry = await self._session.get(ProcessedMessage, message_id)
        return None if entry is None else Reply.model_validate(entry.outcome)

    def record(self, message_id: str, reply: Reply) -> None:
        self._session.add(ProcessedMessage(message_id=message_id, outcome=reply.model_dump(mode="json"),
                                           processed_at=datetime.now(UTC)))


class UnitOfWork(SessionUnitOfWork):
    def open(self, session: AsyncSession) -> None:
        self.products = Products(session)
        self.seats = Seats(session)
        self.users = Users(session)
        self.sets = Sets(session)
        self.journal = Journal(session)
