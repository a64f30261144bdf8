"""One transaction per command, with the journal of processed message ids inside it.

Writing a command's effect and its journal entry in the same transaction is what makes redelivery
safe: either both are there (the redelivery returns the journaled result) or neither is. The events
the change emits are written in it too (shared/events/outbox.py), so they exist exactly when the
change does.
"""

from __future__ import annotations

from typing import TypeVar

from contracts import Result
from services.user_store.group_repository import GroupRepository
from services.user_store.repository import SeatIntentRepository, UserRepository
from services.user_store.tables import ProcessedMessage
from shared.events.outbox import UnitOfWorkWithEvents
from shared.sqlite import table_of
from shared.store import Journal as MessageJournal

ResultT = TypeVar("ResultT", bound=Result)


class Journal(MessageJournal):
    async def result_of(self, message_id: str, result_type: type[ResultT]) -> ResultT | None:
        answer = await self.answer(message_id)
        return None if answer is None else result_type.model_validate(answer)

    async def record_result(self, message_id: str, result: Result) -> None:
        await self.record(message_id, result.model_dump(mode="json"))


class UnitOfWork(UnitOfWorkWithEvents):
    async def hold_tenant(self, tenant_id: str) -> None:
        """Run this unit's read-check-write after (and before) every other write unit of the tenant, in any
        copy of the store: what SQLite's one writer at a time gives for free, PostgreSQL's READ COMMITTED
        does not (two runs of one command would both find no journal entry and both write). An advisory
        lock until the unit ends on PostgreSQL; nothing to do on SQLite."""
        await self.run(lambda sql: sql.lock(f"user_store:{tenant_id}"))

    def open(self) -> None:
        self.users = UserRepository(self)
        self.groups = GroupRepository(self)
        self.journal = Journal(self, table_of(ProcessedMessage), "result")
        self.intents = SeatIntentRepository(self)
