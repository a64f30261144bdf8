"""Users, always scoped to one tenant, and the user writes waiting on the seat allocator."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Message, MessageMeta
from services.user_store.tables import SeatIntentRow, UserRow


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


class SeatIntentRepository:
    """Writes waiting on the seat allocator (tables.SeatIntentRow), by message id."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def user_of(self, message_id: str) -> str | None:
        """The user id an earlier run of this command chose (a create keeps its new id across runs)."""
        row = await self._session.get(SeatIntentRow, message_id)
        return None if row is None else row.user_id

    async def pending_create(self, tenant_id: str, user_name: str) -> str | None:
        """The user id of an unfinished create of this userName: the IdP's retry of it (after a 503, with a
        new message id) adopts that id, so the seats the first try may have taken are the same user's."""
        query = select(SeatIntentRow.user_id).where(col(SeatIntentRow.tenant_id) == tenant_id,
                                                    col(SeatIntentRow.user_name_key) == user_name.lower())
        return (await self._session.exec(query)).first()

    async def hold(self, meta: MessageMeta, command: Message, user_id: str, now: datetime,
                   new_user_name: str | None = None) -> None:
        """Record the intent, replacing the user's older ones: the newest state of a user supersedes them."""
        await self._session.exec(delete(SeatIntentRow).where(
            col(SeatIntentRow.tenant_id) == meta.tenant_id, col(SeatIntentRow.user_id) == user_id,
            col(SeatIntentRow.message_id) != meta.message_id))
        if await self._session.get(SeatIntentRow, meta.message_id) is None:
            self._session.add(SeatIntentRow(
                message_id=meta.message_id, tenant_id=meta.tenant_id or "", user_id=user_id,
                user_name_key=new_user_name and new_user_name.lower(),
                message_type=command.TYPE, body=command.model_dump(mode="json"), created=now))

    async def release(self, message_id: str) -> None:
        await self._session.exec(delete(SeatIntentRow).where(col(SeatIntentRow.message_id) == message_id))

    async def stale(self, before: datetime, limit: int = 100) -> list[SeatIntentRow]:
        query = select(SeatIntentRow).where(col(SeatIntentRow.created) < before).order_by(
            col(SeatIntentRow.created)).limit(limit)
        return list((await self._session.exec(query)).all())
