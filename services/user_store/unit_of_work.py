"""One transaction per command, with the journal of processed message ids inside it.

Writing a command's effect and its journal entry in the same transaction is what makes redelivery
safe: either both are there (the redelivery returns the journaled result) or neither is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Result
from services.user_store.group_repository import GroupRepository
from services.user_store.repository import SeatIntentRepository, UserRepository
from services.user_store.tables import ProcessedMessage
from shared.store import UnitOfWork as SessionUnitOfWork

ResultT = TypeVar("ResultT", bound=Result)


class Journal:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def result_of(self, message_id: str, result_type: type[ResultT]) -> ResultT | None:
        entry = await self._session.get(ProcessedMessage, message_id)
        return None if entry is None else result_type.model_validate(entry.result)

    def record(self, message_id: str, result: Result) -> None:
        self._session.add(
            ProcessedMessage(message_id=message_id, result=result.model_dump(mode="json"),
                             processed_at=datetime.now(UTC))
        )


class UnitOfWork(SessionUnitOfWork):
    def open(self, session: AsyncSession) -> None:
        self.users = UserRepository(session)
        self.groups = GroupRepository(session)
        self.journal = Journal(session)
        self.intents = SeatIntentRepository(session)
