"""The user store's own schema statements on PostgreSQL: what its tables' declarations cannot say.

IdPs look users up by e-mail (Entra's ``emails[type eq "work"].value eq "..."``, Okta's ``emails.value eq``),
and e-mails live inside the jsonb resource, not in a column. ``user_email_values(resource)`` is every
e-mail value of a user lower-cased as the filter compiler folds them (ICU's root lower(), which is
Python's: services/user_store/filter_dialects.py), as a text[] a GIN index holds; the compiler ANDs
``user_email_values(resource) @> ARRAY[value]`` before such a filter (filter_sql.py), which the index
answers without reading every user's JSON. Elements are read as filters read them: a lone object is a
list of one, and only string values of object elements count.

The function is IMMUTABLE (an index needs it): a new body gets a new name, so that its index is built
anew rather than left holding the old body's values. The index's name does not start with ``ix_``: the
table upgrade drops ``ix_`` indexes the table does not declare (shared/sqlite/schema.py).
"""

from __future__ import annotations

from sqlalchemy import ARRAY, ColumnElement, Connection, Text, cast, func
from sqlalchemy.dialects.postgresql import array

from services.user_store.filter_dialects import FOLDING_COLLATION

EMAIL_VALUES = "user_email_values"
EMAIL_INDEX = "gin_users_email_values"

_STATEMENTS = (
    f"""CREATE OR REPLACE FUNCTION {EMAIL_VALUES}(resource jsonb) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(lower((element ->> 'value') COLLATE "{FOLDING_COLLATION}")), '{{}}')
        FROM jsonb_array_elements(CASE jsonb_typeof(resource -> 'emails') WHEN 'array' THEN resource -> 'emails'
                                  ELSE jsonb_build_array(resource -> 'emails') END) AS element
        WHERE jsonb_typeof(element -> 'value') = 'string' $$""",
    f"CREATE INDEX IF NOT EXISTS {EMAIL_INDEX} ON users USING gin ({EMAIL_VALUES}(resource))",
)


class FoldingCollationMissing(RuntimeError):
    """The PostgreSQL server was built without ICU: case-insensitive filters cannot fold as SCIM asks."""


def create_postgres_schema(connection: Connection) -> None:
    """open_store's ``then`` for the user store: its e-mail index on PostgreSQL (nothing on SQLite)."""
    if connection.dialect.name != "postgresql":
        return
    found = connection.exec_driver_sql(
        f"SELECT 1 FROM pg_collation WHERE collname = '{FOLDING_COLLATION}'").first()
    if found is None:
        raise FoldingCollationMissing(
            f'PostgreSQL has no "{FOLDING_COLLATION}" collation (a server built without ICU): the user store '
            "needs it to compare userName, e-mails and other attributes case-insensitively as SCIM does")
    for statement in _STATEMENTS:
        connection.exec_driver_sql(statement)


def email_values_hold(resource: ColumnElement[object], lowered: str) -> ColumnElement[bool]:
    """``user_email_values(resource) @> ARRAY[lowered]``: the user has the (lower-cased) e-mail value, as
    the GIN index answers it."""
    values = getattr(func, EMAIL_VALUES)(resource)
    return values.op("@>", is_comparison=True)(cast(array([lowered]), ARRAY(Text)))
