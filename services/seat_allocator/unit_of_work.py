"""One transaction per command, with the journal of processed message ids inside it.

The journal keeps the whole reply, a failure included: a refused allocation writes its failure
record, so a redelivery must get the same refusal back, not a second attempt at seats freed since.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Reply
from services.seat_allocator.repository import Products, Seats, Sets, Users
from services.seat_allocator.tables import ProcessedMessage


class Journal:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def reply_to(self, message_id: str) -> Reply | None:
        entry = await self._session.get(ProcessedMessage, message_id)
        return None if entry is None else Reply.model_validate(entry.outcome)

    def record(self, message_id: str, reply: Reply) -> None:
        self._session.add(ProcessedMessage(message_id=message_id, outcome=reply.model_dump(mode="json"),
                                           processed_at=datetime.now(UTC)))


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.products = Products(self.session)
        self.seats = Seats(self.session)
        self.users = Users(self.session)
        self.sets = Sets(self.session)
        self.journal = Journal(self.session)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.session.rollback()  # no-op after commit; undoes everything otherwise
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
