"""The webhooks service's unit of work: one transaction, with the journal of processed commands in it."""

from __future__ import annotations

from services.webhooks.tables import ProcessedMessage
from shared.sqlite import table_of
from shared.store import Journal
from shared.store import UnitOfWork as SessionUnitOfWork


class UnitOfWork(SessionUnitOfWork):
    def open(self) -> None:
        self.journal = Journal(self, table_of(ProcessedMessage), "result")
