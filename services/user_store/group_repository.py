"""Groups and memberships, always scoped to one tenant; membership changes are set operations in SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

from sqlalchemy import delete, func, insert, update
from sqlmodel import col, select

from services.user_store.tables import GroupRow, MembershipRow, UserRow
from shared.sqlite import placeholders
from shared.store import Repository

Member = dict[str, str]


class GroupRepository(Repository):
    def add(self, row: GroupRow) -> None:
        self._session.add(row)

    async def get(self, tenant_id: str, group_id: str) -> GroupRow | None:
        row = await self._session.get(GroupRow, group_id)
        return row if row is not None and row.tenant_id == tenant_id else None

    async def find_by_display_name(self, tenant_id: str, display_name: str) -> GroupRow | None:
        query = select(GroupRow).where(col(GroupRow.tenant_id) == tenant_id,
                                       col(GroupRow.display_name_key) == display_name.lower())
        return (await self._session.exec(query)).first()

    async def delete(self, row: GroupRow) -> None:
        await self._session.exec(delete(MembershipRow).where(col(MembershipRow.group_id) == row.id))
        await self._session.delete(row)

    async def member_ids(self, group_id: str) -> set[str]:
        query = select(MembershipRow.member_id).where(col(MembershipRow.group_id) == group_id)
        return set((await self._session.exec(query)).all())

    async def members(self, group_ids: Collection[str]) -> dict[str, list[Member]]:
        """Each group's members as SCIM ``members`` values, in a stable order."""
        display = func.coalesce(func.json_extract(UserRow.resource, "$.displayName"), UserRow.user_name)
        query = (select(MembershipRow.group_id, UserRow.id, display)
                 .join(UserRow, col(UserRow.id) == col(MembershipRow.member_id))
                 .where(col(MembershipRow.group_id).in_(group_ids))
                 .order_by(col(MembershipRow.group_id), col(UserRow.id)))
        found: dict[str, list[Member]] = defaultdict(list)
        for group_id, user_id, name in (await self._session.exec(query)).all():
            found[group_id].append({"value": user_id, "type": "User", "display": name})
        return found

    async def groups_of(self, user_ids: Collection[str]) -> dict[str, list[Member]]:
        """Each user's read-only ``groups`` attribute (RFC 7643 §4.1.2): direct memberships, in plain SQL
        (every user read asks)."""
        found: dict[str, list[Member]] = defaultdict(list)
        if not user_ids:
            return found
        rows = (await self._sql()).all(
            "SELECT m.member_id, g.id, g.display_name FROM memberships m JOIN groups g ON g.id = m.group_id "
            f"WHERE m.member_id IN ({placeholders(len(user_ids))}) ORDER BY m.member_id, g.display_name_key",
            *user_ids)
        for user_id, group_id, name in rows:
            found[user_id].append({"value": group_id, "display": name, "type": "direct"})
        return found

    async def existing_users(self, tenant_id: str, user_ids: Collection[str]) -> set[str]:
        query = select(UserRow.id).where(col(UserRow.tenant_id) == tenant_id, col(UserRow.id).in_(user_ids))
        return set((await self._session.exec(query)).all())

    async def add_members(self, group_id: str, user_ids: Iterable[str]) -> None:
        rows = [{"group_id": group_id, "member_id": user_id} for user_id in user_ids]
        if rows:  # executemany of one cached statement: a VALUES list per row count is compiled anew each time
            await self._session.exec(insert(MembershipRow).prefix_with("OR IGNORE"), params=rows)

    async def remove_members(self, group_id: str, user_ids: Collection[str]) -> None:
        if user_ids:
            await self._session.exec(delete(MembershipRow).where(
                col(MembershipRow.group_id) == group_id, col(MembershipRow.member_id).in_(user_ids)))

    async def forget_user(self, user_id: str, now) -> None:
        """A deleted user leaves every group, and those groups' representations change."""
        groups = select(MembershipRow.group_id).where(col(MembershipRow.member_id) == user_id)
        await self._session.exec(update(GroupRow).where(col(GroupRow.id).in_(groups))
                                 .values(version=GroupRow.version + 1, last_modified=now))
        await self._session.exec(delete(MembershipRow).where(col(MembershipRow.member_id) == user_id))
