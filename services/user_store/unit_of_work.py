"""One transaction per command, with the journal of processed message ids inside it.

Writing a command's effect and its journal entry in the same transaction is what makes redelivery
safe: either both are there (the redelivery returns the journaled result) or neither is. The events
the change emits are written in it too (outbox.py), so they exist exactly when the change does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from contracts import Result
from services.user_store.group_repository import GroupRepository
from services.user_store.outbox import EventWriter, Outbox
from services.user_store.repository import SeatIntentRepository, UserRepository
from services.user_store.tables import ProcessedMessage
from shared.store import Journal as MessageJournal
from shared.store import UnitOfWork as SessionUnitOfWork

ResultT = TypeVar("ResultT", bound=Result)


class Journal(MessageJournal):
    async def result_of(self, message_id: str, result_type: type[ResultT]) -> ResultT | None:
        answer = await self.answer(message_id)
        return None if answer is None else result_type.model_validate(answer)

    async def record_result(self, message_id: str, result: Result) -> None:
        await self.record(message_id, result.model_dump(mode="json"))


class UnitOfWork(SessionUnitOfWork):
    """``outbox``: where the events of its changes go; None: events are off (they are not written)."""

    def __init__(self, sessions: Any, *, outbox: Outbox | None = None, **options: Any) -> None:
        self._outbox = outbox
        super().__init__(sessions, **options)

    def open(self) -> None:
        self.users = UserRepository(self)
        self.groups = GroupRepository(self)
        self.journal = Journal(self, ProcessedMessage.__table__, "result")
        self.intents = SeatIntentRepository(self)
        self.events = EventWriter(self, self._outbox)

    async def commit(self, on_released: Callable[[], None] | None = None) -> None:
        await super().commit(on_released)
        self.events.committed()
