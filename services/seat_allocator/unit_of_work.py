"""One transaction per command, with the journal of processed message ids inside it.

The journal keeps the whole reply, a failure included: a refused allocation writes its failure
record, so a redelivery must get the same refusal back, not a second attempt at seats freed since.
The events of the change are written in it too (shared/events/outbox.py): they exist exactly when the
change does, and a redelivery, answered from the journal, emits none.
"""

from __future__ import annotations

from contracts import Reply
from services.seat_allocator.repository import Products, Seats, Sets, Users
from services.seat_allocator.tables import ProcessedMessage
from shared.events.emitted import Emitted
from shared.events.outbox import UnitOfWorkWithEvents
from shared.sqlite import table_of
from shared.store import Journal as MessageJournal


class Journal(MessageJournal):
    async def reply_to(self, message_id: str) -> Reply | None:
        answer = await self.answer(message_id)
        return None if answer is None else Reply.model_validate(answer)

    async def record_reply(self, message_id: str, reply: Reply) -> None:
        await self.record(message_id, reply.model_dump(mode="json"))


class UnitOfWork(UnitOfWorkWithEvents):
    def open(self) -> None:
        self.products = Products(self)
        self.seats = Seats(self)
        self.users = Users(self)
        self.sets = Sets(self)
        self.journal = Journal(self, table_of(ProcessedMessage), "outcome")
        #: The events of this unit's changes (events.py), in order: written to the outbox under the
        #: command's message id when it commits (journaled.py).
        self.changes: list[Emitted] = []
