"""The users' and groups' resources as jsonb on PostgreSQL (tables.JSON_DOCUMENT): SCIM filters read paths of
them (filter_dialects.py) and the e-mail index (postgres_schema.py) needs jsonb. Nothing changes on SQLite."""

from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"

RESOURCE_COLUMNS = (("users", "resource"), ("groups", "resource"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in RESOURCE_COLUMNS:
        op.alter_column(table, column, type_=JSONB(), postgresql_using=f'"{column}"::jsonb')
