"""A service's writer held by a unit of work whose changes are not committed: what a read served meanwhile
must neither wait for nor see (it reads a committed snapshot, shared/sqlite.Snapshot)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

#: Long for a read of a few rows, short beside the lock wait a read through the writer would sit in.
READ_WITHIN_SECONDS = 1.0


@asynccontextmanager
async def unfinished_write(dispatch, *statements: str) -> AsyncIterator[None]:
    """Run ``statements`` in a write unit of ``dispatch``'s service and hold it open, uncommitted."""
    async with dispatch.deps.uow() as held:
        await held.run(lambda sql: [sql.run(statement) for statement in statements])
        yield
