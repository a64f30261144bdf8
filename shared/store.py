"""What every service with its own database shares: the unit of work, its dependencies, lookups.

A unit of work is one session and so one transaction (BEGIN IMMEDIATE, see shared/sqlite.py):
a service subclasses it to open its repositories on that session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Self, TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import ErrorCode
from shared.messaging.dispatch import CommandFailed
from shared.messaging.ping import ServiceIdentity


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def open(self, session: AsyncSession) -> None:
        """Attach the service's repositories to the session."""

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.open(self.session)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.session.rollback()  # no-op after commit; undoes everything otherwise
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()


UowT = TypeVar("UowT", bound=UnitOfWork)


@dataclass(frozen=True)
class StoreDeps(Generic[UowT]):
    """A stateful service's handler dependencies, built in its bootstrap."""

    identity: ServiceIdentity
    uow: Callable[[], UowT]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


def found(row: Any, kind: str, key: str) -> Any:
    """The row, or NOT_FOUND: another tenant's row is just as unknown (no leak that it exists)."""
    if row is None:
        raise CommandFailed(ErrorCode.NOT_FOUND, f"{kind} {key!r} not found")
    return row
