"""Queries on users, always scoped to one tenant."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.users.v1 import AttributeEquals
from services.user_store.tables import UserRow

_COLUMNS = {
    "id": lambda value: col(UserRow.id) == value,
    "externalId": lambda value: col(UserRow.external_id) == value,
    # userName is not case-exact (RFC 7643 §4.1.1): compare the lower-cased key.
    "userName": lambda value: col(UserRow.user_name_key) == value.lower(),
}


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, row: UserRow) -> None:
        self._session.add(row)

    async def get(self, tenant_id: str, user_id: str) -> UserRow | None:
        row = await self._session.get(UserRow, user_id)
        return row if row is not None and row.tenant_id == tenant_id else None

    async def find_by_user_name(self, tenant_id: str, user_name: str) -> UserRow | None:
        rows, _ = await self.query(tenant_id, [AttributeEquals(attribute="userName", value=user_name)], 0, 1)
        return rows[0] if rows else None

    async def query(
        self, tenant_id: str, criteria: Sequence[AttributeEquals], offset: int, limit: int
    ) -> tuple[list[UserRow], int]:
        """One page in a stable order (created, id), and the number of all matches."""
        where = [col(UserRow.tenant_id) == tenant_id]
        where += [_COLUMNS[c.attribute](c.value) for c in criteria]
        total = await self._session.scalar(select(func.count()).select_from(UserRow).where(*where))
        page = select(UserRow).where(*where).order_by(col(UserRow.created), col(UserRow.id))
        rows = (await self._session.exec(page.offset(offset).limit(limit))).all() if limit else []
        return list(rows), int(total or 0)
