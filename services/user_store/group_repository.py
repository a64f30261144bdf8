"""Groups and memberships, always scoped to one tenant; membership changes are set operations in SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from types import SimpleNamespace

from sqlalchemy import delete, update
from sqlmodel import col, select

from services.user_store.repository import ResourceRows
from services.user_store.sql_spelling import by_id_only, json_text, not_false
from services.user_store.tables import GroupRow, MembershipRow
from shared.sqlite import PlainSql, new_row, placeholders, table_of

Member = dict[str, str]


#: A group as stored (GroupRow's columns as attributes): a membership PATCH reads and writes one, so in
#: plain SQL, never as an ORM object (the group's page queries still read GroupRow).
Group = SimpleNamespace

_GROUPS = table_of(GroupRow)
_MEMBERSHIPS = table_of(MembershipRow)


def new_group(**values: object) -> Group:
    """A group not stored yet: the table's defaults (version 1) under ``values``."""
    return new_row(GroupRow, **values)


class GroupRepository(ResourceRows):
    table = _GROUPS

    async def find_by_display_name(self, tenant_id: str, display_name: str) -> Group | None:
        return await self._run(lambda sql: sql.select_one(_GROUPS, "tenant_id = ? AND display_name_key = ? LIMIT 1",
                                                          tenant_id, display_name.lower()))

    async def delete(self, row: Group) -> None:
        def delete_group(sql: PlainSql) -> None:
            sql.run("DELETE FROM memberships WHERE group_id = ?", row.id)
            sql.run("DELETE FROM groups WHERE id = ?", row.id)
        await self._run(delete_group)

    async def member_ids(self, group_id: str) -> set[str]:
        rows = await self._run(lambda sql: sql.all("SELECT member_id FROM memberships WHERE group_id = ?", group_id))
        return {member_id for (member_id,) in rows}

    async def members_among(self, group_id: str, user_ids: Collection[str]) -> set[str]:
        """Which of ``user_ids`` are members of the group (a look-up per id, not the group's whole list)."""
        return await self._which("SELECT member_id FROM memberships WHERE group_id = ? AND member_id IN",
                                 group_id, user_ids)

    async def waiting_for_seats(self, set_name: str, user_ids: Collection[str]) -> set[str]:
        """Which of ``user_ids`` (members of the group named ``set_name``) that set has not seated: active,
        in it, holding no seat (none was free when they joined): asked again when the IdP names them."""
        return await self._which(lambda sql: f"SELECT id FROM users WHERE NOT platform_active AND "
                                 f"{not_false(sql, 'resource', 'active')} AND subscription_set = ? AND id IN",
                                 set_name, user_ids)

    async def _which(self, query: str | Callable[[PlainSql], str], key: str, ids: Collection[str]) -> set[str]:
        """Which of ``ids`` ``query`` (ending in ``... = ? AND <id column> IN``; or made for the backend from its
        PlainSql) finds, with ``key`` for the ?."""
        if not ids:
            return set()

        def which(sql: PlainSql) -> set[str]:
            text = query if isinstance(query, str) else query(sql)
            return {found for (found,) in sql.all(f"{text} ({placeholders(len(ids))})", key, *ids)}
        return await self._run(which)

    async def members(self, group_ids: Collection[str]) -> dict[str, list[Member]]:
        """Each group's members as SCIM ``members`` values, in a stable order (every group write answers
        with them: plain SQL)."""
        found: dict[str, list[Member]] = defaultdict(list)
        if not group_ids:
            return found
        rows = await self._run(lambda sql: sql.all(
            f"SELECT m.group_id, u.id, coalesce({json_text(sql, 'u.resource', 'displayName')}, u.user_name) "
            "FROM memberships m JOIN users u ON u.id = m.member_id "
            f"WHERE m.group_id IN ({placeholders(len(group_ids))}) ORDER BY m.group_id, u.id", *group_ids))
        for group_id, user_id, name in rows:
            found[group_id].append({"value": user_id, "type": "User", "display": name})
        return found

    async def groups_of(self, user_ids: Collection[str]) -> dict[str, list[Member]]:
        """Each user's read-only ``groups`` attribute (RFC 7643 §4.1.2): direct memberships, in plain SQL
        (every user read asks)."""
        found: dict[str, list[Member]] = defaultdict(list)
        if not user_ids:
            return found
        rows = await self._run(lambda sql: sql.all(
            "SELECT m.member_id, g.id, g.display_name FROM memberships m JOIN groups g ON g.id = m.group_id "
            f"WHERE m.member_id IN ({placeholders(len(user_ids))}) ORDER BY m.member_id, g.display_name_key",
            *user_ids))
        for user_id, group_id, name in rows:
            found[user_id].append({"value": group_id, "display": name, "type": "direct"})
        return found

    async def existing_users(self, tenant_id: str, user_ids: Collection[str]) -> dict[str, bool]:
        """Which of ``user_ids`` are the tenant's users, each with whether it is active (no ``active``: it is)."""
        if not user_ids:
            return {}
        # By the primary key, one look-up per id (by_id_only). Without it SQLite (no statistics) takes the
        # tenant's index and walks every user of the tenant on each membership PATCH.
        rows = await self._run(lambda sql: sql.all(
            f"SELECT id, {not_false(sql, 'resource', 'active')} FROM users WHERE {by_id_only(sql, 'tenant_id')} = ? "
            f"AND id IN ({placeholders(len(user_ids))})", tenant_id, *user_ids))
        return {user_id: bool(active) for user_id, active in rows}

    async def add_members(self, group_id: str, user_ids: Iterable[str]) -> None:
        rows = [{"group_id": group_id, "member_id": user_id} for user_id in user_ids]
        await self._run(lambda sql: sql.insert_many(_MEMBERSHIPS, rows, on_conflict="IGNORE"))

    async def remove_members(self, group_id: str, user_ids: Collection[str]) -> None:
        if user_ids:
            await self._run(lambda sql: sql.run(f"DELETE FROM memberships WHERE group_id = ? AND member_id IN "
                                                f"({placeholders(len(user_ids))})", group_id, *user_ids))

    async def forget_user(self, user_id: str, now) -> list[str]:
        """A deleted user leaves every group, and those groups' representations change; returns their ids."""
        left = [group_id for (group_id,) in await self._run(lambda sql: sql.all(
            "SELECT group_id FROM memberships WHERE member_id = ? ORDER BY group_id", user_id))]
        if not left:
            return left
        groups = select(MembershipRow.group_id).where(col(MembershipRow.member_id) == user_id)
        await self._session.exec(update(GroupRow).where(col(GroupRow.id).in_(groups))
                                 .values(version=GroupRow.version + 1, last_modified=now))
        await self._session.exec(delete(MembershipRow).where(col(MembershipRow.member_id) == user_id))
        return left
