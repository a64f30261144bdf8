"""Users, always scoped to one tenant, and the user writes waiting on the seat allocator."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Message, MessageMeta
from services.user_store.seat_state import SeatCommand, SeatState
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

    async def record_seat_states(self, tenant_id: str, states: Mapping[str, SeatState], now: datetime) -> None:
        """Write the allocator's answers on the users they changed (new version): one UPDATE per distinct state."""
        by_state: dict[SeatState, list[str]] = defaultdict(list)
        for user_id, state in states.items():
            by_state[state].append(user_id)
        for state, user_ids in by_state.items():
            changed = or_(col(UserRow.platform_active) != state.platform_active,
                          col(UserRow.subscription_set).is_distinct_from(state.subscription_set),
                          col(UserRow.set_role).is_distinct_from(state.set_role))
            await self._session.exec(
                update(UserRow)
                .where(col(UserRow.tenant_id) == tenant_id, col(UserRow.id).in_(user_ids), changed)
                .values(platform_active=state.platform_active, subscription_set=state.subscription_set,
                        set_role=state.set_role, version=UserRow.version + 1, last_modified=now)
                .execution_options(synchronize_session=False))


class SeatIntentRepository:
    """Writes waiting on the seat allocator (tables.SeatIntentRow), by message id."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, message_id: str) -> SeatIntentRow | None:
        return await self._session.get(SeatIntentRow, message_id)

    async def user_of(self, message_id: str) -> str | None:
        """The resource id an earlier run of this command chose (a create keeps its new id across runs)."""
        row = await self.get(message_id)
        return None if row is None else row.user_id

    async def pending_create(self, tenant_id: str, message_type: str, name: str) -> str | None:
        """The id of an unfinished create of this name: the IdP's retry of it (after a 503, with a new
        message id) adopts that id, so the seats the first try may have moved are the same resource's."""
        query = select(SeatIntentRow.user_id).where(col(SeatIntentRow.tenant_id) == tenant_id,
                                                    col(SeatIntentRow.message_type) == message_type,
                                                    col(SeatIntentRow.user_name_key) == name.lower())
        return (await self._session.exec(query)).first()

    async def hold(self, meta: MessageMeta, command: Message, resource_id: str, now: datetime,
                   steps: Sequence[SeatCommand], new_name: str | None = None) -> list[SeatIntentRow]:
        """Record the intent; the same resource's older ones are superseded: removed and returned."""
        query = select(SeatIntentRow).where(col(SeatIntentRow.tenant_id) == meta.tenant_id,
                                            col(SeatIntentRow.user_id) == resource_id,
                                            col(SeatIntentRow.message_id) != meta.message_id)
        superseded = list((await self._session.exec(query)).all())
        for older in superseded:
            await self._session.delete(older)
        if await self.get(meta.message_id) is None:
            self._session.add(SeatIntentRow(
                message_id=meta.message_id, tenant_id=meta.tenant_id or "", user_id=resource_id,
                user_name_key=new_name and new_name.lower(), message_type=command.TYPE,
                body=command.model_dump(mode="json"), created=now,
                steps=[{"type": step.TYPE, "body": step.model_dump(mode="json")} for step in steps]))
        return superseded

    async def release(self, message_id: str) -> None:
        await self._session.exec(delete(SeatIntentRow).where(col(SeatIntentRow.message_id) == message_id))

    async def stale(self, before: datetime, limit: int = 100) -> list[SeatIntentRow]:
        query = select(SeatIntentRow).where(col(SeatIntentRow.created) < before).order_by(
            col(SeatIntentRow.created)).limit(limit)
        return list((await self._session.exec(query)).all())
