"""Users, always scoped to one tenant, and the user writes waiting on the seat allocator."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import ClassVar

from sqlalchemy import Table, or_, update
from sqlmodel import col, select

from contracts import Message, MessageMeta
from services.user_store.seat_state import SeatCommand, SeatState
from services.user_store.sql_spelling import by_id_only, json_text
from services.user_store.tables import SeatIntentRow, UserRow
from shared.scim.schemas import EXTENSION_SCHEMA
from shared.sqlite import PlainSql, new_row, placeholders, table_of
from shared.store import Repository
from shared.store.portable_sql import unindexed

#: A user as stored (UserRow's columns as attributes): every write reads and writes one, so in plain
#: SQL, never as an ORM object.
User = SimpleNamespace

_USERS = table_of(UserRow)
ROLES_PER_QUERY = 500


def new_user(**values: object) -> User:
    """A user not stored yet: the table's defaults (version 1, no seat) under ``values``."""
    return new_row(UserRow, **values)


class ResourceRows(Repository):
    """A table of SCIM resources (an ``id`` key, scoped to a tenant) read and written as plain rows."""

    table: ClassVar[Table]

    async def get(self, tenant_id: str, resource_id: str) -> SimpleNamespace | None:
        return await self._run(lambda sql: sql.select_one(self.table, "id = ? AND tenant_id = ?", resource_id,
                                                          tenant_id))

    async def add(self, row: SimpleNamespace) -> None:
        """Store a new resource; a unique name taken meanwhile raises IntegrityError (the unique key)."""
        await self._run(lambda sql: sql.insert(self.table, vars(row)))

    async def save(self, row: SimpleNamespace) -> None:
        await self._run(lambda sql: sql.update(self.table, vars(row), key=("id",)))


class UserRepository(ResourceRows):
    table = _USERS

    async def delete(self, user: User) -> None:
        await self._run(lambda sql: sql.run("DELETE FROM users WHERE id = ?", user.id))

    async def with_user_name(self, tenant_id: str, user_name: str) -> list[User]:
        """The user of this userName (compared case-insensitively): none or one."""
        return await self._run(lambda sql: sql.select(_USERS, "tenant_id = ? AND user_name_key = ?", tenant_id,
                                                      user_name.lower()))

    async def id_by_user_name(self, tenant_id: str, user_name: str) -> str | None:
        """userName is not case-exact (RFC 7643 §4.1.1): compare the lower-cased key."""
        return await self._run(lambda sql: sql.value(
            "SELECT id FROM users WHERE tenant_id = ? AND user_name_key = ? LIMIT 1", tenant_id, user_name.lower()))

    async def own_roles(self, tenant_id: str, user_ids: Sequence[str]) -> dict[str, str | None]:
        """Each user's own role (their vendor extension's, not their set's), by id; in chunks, as a group
        write may touch tens of thousands of members and SQLite binds at most 32 766 values."""
        def read(sql: PlainSql) -> dict[str, str | None]:
            roles = dict[str, str | None]()
            for start in range(0, len(user_ids), ROLES_PER_QUERY):
                chunk = user_ids[start:start + ROLES_PER_QUERY]
                roles.update(sql.all(f"SELECT id, {json_text(sql, 'resource', EXTENSION_SCHEMA, 'role')} FROM users "
                                     f"WHERE {by_id_only(sql, 'tenant_id')} = ? AND id IN ({placeholders(len(chunk))})",
                                     tenant_id, *chunk))
            return roles
        return await self._run(read)

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
                .where(unindexed(UserRow.tenant_id) == tenant_id, col(UserRow.id).in_(user_ids), changed)
                .values(platform_active=state.platform_active, subscription_set=state.subscription_set,
                        set_role=state.set_role, version=UserRow.version + 1, last_modified=now)
                .execution_options(synchronize_session=False))


_INTENTS = table_of(SeatIntentRow)
#: A resource's seat intents other than one command's: tenant_id, resource id, message id.
_OTHERS = "tenant_id = ? AND user_id = ? AND message_id != ?"


class SeatIntentRepository(Repository):
    """Writes waiting on the seat allocator (tables.SeatIntentRow), by message id. Every write command
    reads and writes them: plain SQL (shared/sqlite.PlainSql) but for the rare paths."""

    async def get(self, message_id: str) -> SeatIntentRow | None:
        return await self._session.get(SeatIntentRow, message_id)

    async def user_of(self, message_id: str) -> str | None:
        """The resource id an earlier run of this command chose (a create keeps its new id across runs)."""
        return await self._run(lambda sql: sql.value("SELECT user_id FROM seat_intents WHERE message_id = ?",
                                                     message_id))

    async def pending_create(self, tenant_id: str, message_type: str, name: str) -> str | None:
        """The id of an unfinished create of this name: the IdP's retry of it (after a 503, with a new
        message id) adopts that id, so the seats the first try may have moved are the same resource's."""
        return await self._run(lambda sql: sql.value("SELECT user_id FROM seat_intents WHERE tenant_id = ? AND "
                                                     "message_type = ? AND user_name_key = ? LIMIT 1",
                                                     tenant_id, message_type, name.lower()))

    async def hold(self, meta: MessageMeta, command: Message, resource_id: str, now: datetime,
                   steps: Sequence[SeatCommand], new_name: str | None = None) -> list[SeatIntentRow]:
        """Record the intent; the same resource's older ones are superseded: removed and returned."""
        superseded = await self._superseded(meta, resource_id)
        intent = {
            "message_id": meta.message_id, "tenant_id": meta.tenant_id or "", "user_id": resource_id,
            "user_name_key": new_name and new_name.lower(), "message_type": command.TYPE,
            "body": command.model_dump(mode="json"), "created": now,
            "steps": [{"type": step.TYPE, "body": step.model_dump(mode="json")} for step in steps]}
        await self._run(lambda sql: sql.insert(_INTENTS, intent, on_conflict="IGNORE"))
        return superseded

    async def others_pending(self, meta: MessageMeta, resource_id: str) -> bool:
        """Whether another command's intent for this resource waits (rare: a write overtaking one that had
        not finished)."""
        return await self._run(lambda sql: sql.one(f"SELECT 1 FROM seat_intents WHERE {_OTHERS} LIMIT 1",
                                                   meta.tenant_id, resource_id, meta.message_id)) is not None

    async def _superseded(self, meta: MessageMeta, resource_id: str) -> list[SeatIntentRow]:
        """The resource's intents other than this command's, deleted, as they were."""
        if not await self.others_pending(meta, resource_id):
            return []
        params = (meta.tenant_id, resource_id, meta.message_id)
        query = select(SeatIntentRow).where(col(SeatIntentRow.tenant_id) == meta.tenant_id,
                                            col(SeatIntentRow.user_id) == resource_id,
                                            col(SeatIntentRow.message_id) != meta.message_id)
        superseded = list((await self._session.exec(query)).all())
        await self._run(lambda sql: sql.run(f"DELETE FROM seat_intents WHERE {_OTHERS}", *params))
        return superseded

    async def release(self, message_id: str) -> None:
        await self._run(lambda sql: sql.run("DELETE FROM seat_intents WHERE message_id = ?", message_id))

    async def stale(self, before: datetime, limit: int = 100) -> list[SeatIntentRow]:
        query = select(SeatIntentRow).where(col(SeatIntentRow.created) < before).order_by(
            col(SeatIntentRow.created)).limit(limit)
        return list((await self._session.exec(query)).all())
