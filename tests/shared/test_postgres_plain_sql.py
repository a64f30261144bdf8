"""PlainSql's statements as PostgreSQL takes them (shared/postgres/plain_sql.py): numbered placeholders,
ON CONFLICT for SQLite's INSERT OR IGNORE / OR REPLACE."""

from __future__ import annotations

from services.sync_status.tables import HistoryRow, UserStatusRow
from shared.postgres.plain_sql import _insert_sql, numbered
from shared.sqlite import table_of


def test_placeholders_are_numbered_and_quoted_question_marks_left_alone():
    assert numbered("SELECT \"a?\" FROM t WHERE x = ? AND y = 'why?' AND z IN (?, ?)") == (
        "SELECT \"a?\" FROM t WHERE x = $1 AND y = 'why?' AND z IN ($2, $3)")
    assert numbered("SELECT 'it''s ?' WHERE a = ?") == "SELECT 'it''s ?' WHERE a = $1"


def test_or_ignore_does_nothing_on_conflict():
    sql = _insert_sql(table_of(HistoryRow), ("message_id", "tenant_id"), "IGNORE")
    assert sql == 'INSERT INTO "provisioning_history" ("message_id", "tenant_id") VALUES (?, ?) ON CONFLICT DO NOTHING'


def test_or_replace_updates_every_column_but_the_key():
    sql = _insert_sql(table_of(UserStatusRow), ("tenant_id", "user_name_key", "status"), "REPLACE")
    assert sql.endswith(' ON CONFLICT ("tenant_id", "user_name_key") DO UPDATE SET "status" = EXCLUDED."status"')
