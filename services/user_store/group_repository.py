"""Groups and memberships, always scoped to one tenant; membership changes are set operations in SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from types import SimpleNamespace

from sqlalchemy import delete, update
from sqlmodel import col, select

from services.user_store.repository import ResourceRows
from services.user_store.tables import GroupRow, MembershipRow
from shared.sqlite import new_row, placeholders, table_of

Member = dict[str, str]


#: A group as stored (GroupRow's columns as attributes): a membership PATCH reads and writes one, so in
#: plain SQL, never as an ORM object (the group's page queries still read GroupRow).
Group = SimpleNamespace

_GROUPS = table_of(GroupRow)


def new_group(**values: object) -> Group:
    """A group not stored yet: the table's defaults (version 1) under ``values``."""
    return new_row(GroupRow, **values)


class GroupRepository(ResourceRows):
    table = _GROUPS

    async def find_by_display_name(self, tenant_id: str, display_name: str) -> Group | None:
        return (await self._sql()).select_one(_GROUPS, "tenant_id = ? AND display_name_key = ? LIMIT 1",
                                              tenant_id, display_name.lower())

    async def delete(self, row: Group) -> None:
        sql = await self._sql()
        sql.run("DELETE FROM memberships WHERE group_id = ?", row.id)
        sql.run("DELETE FROM groups WHERE id = ?", row.id)

    async def member_ids(self, group_id: str) -> set[str]:
        rows = (await self._sql()).all("SELECT member_id FROM memberships WHERE group_id = ?", group_id)
        return {member_id for (member_id,) in rows}

    async def members_among(self, group_id: str, user_ids: Collection[str]) -> set[str]:
        """Which of ``user_ids`` are members of the group (a look-up per id, not the group's whole list)."""
        return await self._which("SELECT member_id FROM memberships WHERE group_id = ? AND member_id IN",
                                 group_id, user_ids)

    async def waiting_for_seats(self, set_name: str, user_ids: Collection[str]) -> set[str]:
        """Which of ``user_ids`` (members of the group named ``set_name``) that set has not seated: active,
        in it, holding no seat (none was free when they joined): asked again when the IdP names them."""
        return await self._which("SELECT id FROM users WHERE platform_active = 0 AND json_extract(resource, "
                                 "'$.active') IS NOT 0 AND subscription_set = ? AND id IN", set_name, user_ids)

    async def _which(self, query: str, key: str, ids: Collection[str]) -> set[str]:
        """Which of ``ids`` ``query`` (ending in ``... = ? AND <id column> IN``) finds, with ``key`` for the ?."""
        if not ids:
            return set()
        return {found for (found,) in (await self._sql()).all(f"{query} ({placeholders(len(ids))})", key, *ids)}

    async def members(self, group_ids: Collection[str]) -> dict[str, list[Member]]:
        """Each group's members as SCIM ``members`` values, in a stable order (every group write answers
        with them: plain SQL)."""
        found: dict[str, list[Member]] = defaultdict(list)
        if not group_ids:
            return found
        rows = (await self._sql()).all(
            "SELECT m.group_id, u.id, coalesce(json_extract(u.resource, '$.displayName'), u.user_name) "
            "FROM memberships m JOIN users u ON u.id = m.member_id "
            f"WHERE m.group_id IN ({placeholders(len(group_ids))}) ORDER BY m.group_id, u.id", *group_ids)
        for group_id, user_id, name in rows:
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

    async def existing_users(self, tenant_id: str, user_ids: Collection[str]) -> dict[str, bool]:
        """Which of ``user_ids`` are the tenant's users, each with whether it is active (no ``active``: it is)."""
        if not user_ids:
            return {}
        # "+tenant_id": by the primary key, one look-up per id. Without it SQLite (no statistics) takes the
        # tenant's index and walks every user of the tenant on each membership PATCH.
        rows = (await self._sql()).all("SELECT id, json_extract(resource, '$.active') FROM users WHERE +tenant_id = ? "
                                       f"AND id IN ({placeholders(len(user_ids))})", tenant_id, *user_ids)
        return {user_id: active != 0 for user_id, active in rows}

    async def add_members(self, group_id: str, user_ids: Iterable[str]) -> None:
        (await self._sql()).run_many("INSERT OR IGNORE INTO memberships (group_id, member_id) VALUES (?, ?)",
                                     [(group_id, user_id) for user_id in user_ids])

    async def remove_members(self, group_id: str, user_ids: Collection[str]) -> None:
        if user_ids:
            (await self._sql()).run(f"DELETE FROM memberships WHERE group_id = ? AND member_id IN "
                                    f"({placeholders(len(user_ids))})", group_id, *user_ids)

    async def forget_user(self, user_id: str, now) -> list[str]:
        """A deleted user leaves every group, and those groups' representations change; returns their ids."""
        left = [group_id for (group_id,) in (await self._sql()).all(
            "SELECT group_id FROM memberships WHERE member_id = ? ORDER BY group_id", user_id)]
        if not left:
            return left
        groups = select(MembershipRow.group_id).where(col(MembershipRow.member_id) == user_id)
        await self._session.exec(update(GroupRow).where(col(GroupRow.id).in_(groups))
                                 .values(version=GroupRow.version + 1, last_modified=now))
        await self._session.exec(delete(MembershipRow).where(col(MembershipRow.member_id) == user_id))
        return left
