"""Schema migrations (shared/store/migrations.py, issue 25), on a SQLite file and on the real PostgreSQL:
each service's migrations make what its models declare; a database an older release made (its DDL captured
from that release's models, tests/shared/old_schemas/) is brought to the newest revision with its rows; a
database a newer release migrated is refused, with one line that says so."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Connection, Integer, MetaData

from services.notifier.migrations import SCHEMA as NOTIFIER
from services.seat_allocator.migrations import SCHEMA as SEAT_ALLOCATOR
from services.sync_status.migrations import SCHEMA as SYNC_STATUS
from services.sync_status.tables import HistoryRow, UserStatusRow
from services.user_store.migrations import SCHEMA as USER_STORE
from services.user_store.tables import GroupRow, MembershipRow, UserRow
from services.webhooks.migrations import SCHEMA as WEBHOOKS
from shared.settings import PostgresSchema, SqliteFile, StoreLocation
from shared.sqlite import table_of
from shared.store import as_utc
from shared.store.backend import open_store
from shared.store.migrations import Migrated, ServiceSchema, UnknownRevision, migrate
from tests.support.databases import on_connection, schema_revision, stamp_newer

EVERY_SERVICE = (USER_STORE, SEAT_ALLOCATOR, NOTIFIER, SYNC_STATUS, WEBHOOKS)
OLD_SCHEMAS = Path(__file__).parent / "old_schemas"
AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def location_of(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], StoreLocation]:
    """Where a service's database is on this backend: a file of its own, or its schema of one database."""
    if request.param == "sqlite":
        return lambda service: SqliteFile(tmp_path / f"{service}.sqlite3")
    url = request.getfixturevalue("postgres_url")
    return lambda service: PostgresSchema(url, schema=service)


def tables_of(schema: ServiceSchema) -> MetaData:
    """The service's models' tables alone (every service's models share SQLModel.metadata)."""
    metadata = MetaData()
    for model in schema.models:
        table_of(model).to_metadata(metadata)
    return metadata


def drift(metadata: MetaData) -> Callable[[Connection], list]:
    """Alembic's autogenerate diff between the database and ``metadata``: what a migration would have to do."""
    def compare(connection: Connection) -> list:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": lambda name, kind, _: not (kind == "table" and name == "alembic_version")})
        return compare_metadata(context, metadata)
    return compare


async def migrated(location: StoreLocation, schema: ServiceSchema):
    async with open_store(location, schema) as store:
        return store.migrated


async def test_each_services_migrations_make_what_its_models_declare(location_of):
    """Fails when a model changes without a migration that makes the change (or a migration without the model)."""
    for schema in EVERY_SERVICE:
        location = location_of(schema.service)
        assert (await migrated(location, schema)).applied == schema.revisions
        assert await on_connection(location, drift(tables_of(schema))) == [], schema.service


async def test_the_comparison_sees_a_column_the_models_have_and_the_database_lacks(tmp_path):
    location = SqliteFile(tmp_path / "sync_status.sqlite3")
    await migrated(location, SYNC_STATUS)
    changed = tables_of(SYNC_STATUS)
    changed.tables["user_statuses"].append_column(Column("added_later", Integer))
    [difference] = await on_connection(location, drift(changed))
    assert difference[0] == "add_column" and difference[3].name == "added_later"


def run_script(path: Path) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        script = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
        for statement in filter(None, map(str.strip, script.split(";"))):
            connection.exec_driver_sql(statement)
    return run


def old_release(capture: str, rows: list[str]) -> Callable[[Connection], None]:
    """The tables an older release made, with its rows in them, as it left them (no version table)."""
    def make(connection: Connection) -> None:
        run_script(OLD_SCHEMAS / f"{capture}.{connection.dialect.name}.sql")(connection)
        for row in rows:
            connection.exec_driver_sql(row)
    return make


async def upgraded_from(location: StoreLocation, schema: ServiceSchema, capture: str, rows: list[str]):
    """The older release's database brought to the newest revision by opening it, as its service does at start."""
    await on_connection(location, old_release(capture, rows))
    first = await migrated(location, schema)
    assert (first.adopted, first.applied, first.revision) == ("0001", schema.revisions[1:], schema.newest), first
    assert await on_connection(location, drift(tables_of(schema))) == []
    again = await migrated(location, schema)
    assert not again.changed, again
    return open_store(location, schema)


async def test_a_database_the_release_before_migrations_made_is_stamped_as_it_is(location_of):
    """That release (d4a8f99) made each service's tables from its models at start, as today's models are."""
    def made_then_migrated(schema: ServiceSchema, version_schema: str | None):
        def work(connection: Connection) -> tuple[Migrated, list]:
            tables_of(schema).create_all(connection)
            return migrate(connection, schema, version_schema=version_schema), drift(tables_of(schema))(connection)
        return work

    for schema in EVERY_SERVICE:
        location = location_of(schema.service)
        version_schema = location.schema if isinstance(location, PostgresSchema) else None
        done, difference = await on_connection(location, made_then_migrated(schema, version_schema))
        assert (done.adopted, done.applied, difference) == ("0001", schema.revisions[1:], []), schema.service


#: Before the status kept the unchanged re-syncs, the e-mail and the role, and before the SCIM call log.
SYNC_STATUS_ROWS = [
    "INSERT INTO user_statuses (tenant_id, user_name_key, user_name, user_id, status, detail, last_synced, "
    "last_attempt, scim_active, platform_active, products, subscription_set) VALUES ('acme', 'ann', 'Ann', 'u1', "
    "'synced', NULL, '2026-11-20 10:00:00', '2026-11-20 10:00:00', TRUE, TRUE, '[\"crm\"]', 'sales')",
    "INSERT INTO provisioning_history (message_id, tenant_id, user_name_key, at, action, status, detail, asked) "
    "VALUES ('m1', 'acme', 'ann', '2026-11-20 10:00:00', 'create', 'synced', NULL, '[\"crm\"]')",
]


async def test_the_sync_status_database_of_an_older_release_keeps_its_rows(location_of):
    """The release of a537352: user_statuses gains five columns (one NOT NULL with a default), scim_calls is new."""
    location = location_of("sync_status")
    async with await upgraded_from(location, SYNC_STATUS, "sync_status_a537352", SYNC_STATUS_ROWS) as store:
        async with store.maintenance() as session:
            status = await session.get(UserStatusRow, ("acme", "ann"))
            history = await session.get(HistoryRow, "m1")
    assert status is not None and history is not None
    assert (status.user_name, status.user_id, status.status, status.products, status.subscription_set,
            status.scim_active, status.platform_active) == ("Ann", "u1", "synced", ["crm"], "sales", True, True)
    assert as_utc(status.last_attempt) == AT and (status.unchanged_syncs, status.email, status.last_checked) == (0, None,
                                                                                                               None)
    assert (history.action, history.asked, as_utc(history.at)) == ("create", ["crm"], AT)


#: Before the seat saga: users without their seat columns, no seat intents, no event outbox.
USER_STORE_ROWS = [
    "INSERT INTO users (id, tenant_id, external_id, resource, created, last_modified, version, user_name, "
    "user_name_key) VALUES ('u1', 'acme', 'ext-1', '{\"userName\": \"Ann\"}', '2026-11-20 10:00:00', "
    "'2026-11-20 10:00:00', 3, 'Ann', 'ann')",
    "INSERT INTO groups (id, tenant_id, external_id, resource, created, last_modified, version, display_name, "
    "display_name_key) VALUES ('g1', 'acme', NULL, '{\"displayName\": \"Sales\"}', '2026-11-20 10:00:00', "
    "'2026-11-20 10:00:00', 1, 'Sales', 'sales')",
    "INSERT INTO memberships (group_id, member_id) VALUES ('g1', 'u1')",
]


async def test_the_user_store_database_of_an_older_release_keeps_its_rows(location_of):
    """The release of f9b3d51: users gain a NOT NULL boolean (PostgreSQL takes its default as ``false``, not
    ``1``) and two columns; the seat intents' and the events' tables are new."""
    location = location_of("user_store")
    async with await upgraded_from(location, USER_STORE, "user_store_f9b3d51", USER_STORE_ROWS) as store:
        async with store.maintenance() as session:
            user, group = await session.get(UserRow, "u1"), await session.get(GroupRow, "g1")
            membership = await session.get(MembershipRow, ("g1", "u1"))
    assert user is not None and group is not None and membership is not None
    assert (user.user_name, user.external_id, user.resource, user.version, as_utc(user.created)) == (
        "Ann", "ext-1", {"userName": "Ann"}, 3, AT)
    assert (user.platform_active, user.subscription_set, user.set_role) == (False, None, None)
    assert (group.display_name, group.resource) == ("Sales", {"displayName": "Sales"})


async def test_a_database_a_newer_release_migrated_is_refused_in_one_line(location_of):
    location = location_of("sync_status")
    await migrated(location, SYNC_STATUS)
    await on_connection(location, stamp_newer)
    with pytest.raises(UnknownRevision) as refused:
        await migrated(location, SYNC_STATUS)
    message = str(refused.value)
    assert "the sync_status database is at schema revision 0099" in message
    assert "the newest it knows is 0001" in message and "\n" not in message
    assert await on_connection(location, schema_revision) == "0099"  # left as it was


NEXT_REVISION = '''
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column("scim_calls", sa.Column("client", sa.String(), nullable=False, server_default="unknown"))
    op.create_index("ix_scim_calls_client", "scim_calls", ["tenant_id", "client"])
'''


async def test_a_later_revision_runs_on_a_database_at_the_one_before_and_keeps_its_rows(location_of, tmp_path):
    """What a model change brings (as the README says to write it): Alembic's operations, in the service's own
    version table and schema."""
    location = location_of("sync_status")
    await migrated(location, SYNC_STATUS)
    await on_connection(location, lambda connection: connection.exec_driver_sql(
        "INSERT INTO scim_calls (call_id, tenant_id, at, method, path, status, duration_ms) "
        "VALUES ('c1', 'acme', '2026-11-20 10:00:00', 'GET', '/Users', 200, 12)"))
    revisions = tmp_path / "sync_status_migrations"
    revisions.mkdir()
    (revisions / "v0001_baseline.py").write_text((SYNC_STATUS.directory / "v0001_baseline.py").read_text())
    (revisions / "v0002_client.py").write_text(NEXT_REVISION)
    later = ServiceSchema("sync_status", revisions)
    done = await migrated(location, later)
    assert (done.adopted, done.applied, done.revision) == (None, ("0002",), "0002")
    assert await on_connection(location, lambda connection: connection.exec_driver_sql(
        "SELECT call_id, status, client FROM scim_calls").all()) == [("c1", 200, "unknown")]
    assert await on_connection(location, schema_revision) == "0002"
    with pytest.raises(UnknownRevision, match=r"at schema revision 0002, .*\(the newest it knows is 0001\)"):
        await migrated(location, SYNC_STATUS)  # the release before it, started again
