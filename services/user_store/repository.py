"""Users, always scoped to one tenant."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.user_store.tables import UserRow


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, row: UserRow) -> None:
        self._session.add(row)

    async def delete(self, row: UserRow) -> None:
        await self._session.delete(row)

    async def get(self, tenant_id: str, user_id: str) -> UserRow | None:
        row = await self._session.get(UserRow, user_id)
        return row if row is not None and row.tenant_id == tenant_id else None

    async def find_by_user_name(self, tenant_id: str, user_name: str) -> UserRow | None:
        """userName is not case-exact (RFC 7643 §4.1.1): compare the lower-cased key."""
        query = select(UserRow).where(col(UserRow.tenant_id) == tenant_id,
                                      col(UserRow.user_name_key) == user_name.lower())
        return (await self._session.exec(query)).first()
