"""Each stateful service's schema migrations (Alembic), applied to its SQLite file or its PostgreSQL schema.

A service's models change from release to release; its database, made by whichever release ran first, has to
follow them with its rows kept, and a release must never write a database a newer one has migrated (it would
not know the newer columns' rules). So each service keeps its migrations beside it (``services/<name>/
migrations/``, a revision a file, the first written out as the schema was when migrations began: later model
changes never alter what it makes) and a version table in its own file or schema.

They run through Alembic's API on the connection the caller holds, inside its transaction: SQLite's write lock
or PostgreSQL's advisory lock (shared/store/backend.py), so copies of a service starting together migrate one
at a time and the second finds nothing left to do. No env.py and no alembic.ini: every way in (a service's
start, ``scimflow db upgrade``) calls ``migrate``.

A database from before migrations (its tables there, no version table) is brought to the first revision the
way those releases upgraded themselves, by adding what it lacks (adoption.py), and stamped with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from alembic import op
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect
from sqlmodel import SQLModel

from shared.store.adoption import bring_to_baseline


class UnknownRevision(Exception):
    """The database is at a revision this code does not have: a newer release migrated it."""

    def __init__(self, service: str, revision: str, newest: str) -> None:
        super().__init__(f"the {service} database is at schema revision {revision}, which this release does not "
                         f"know (the newest it knows is {newest}): it was migrated by a newer release; run that "
                         f"release, or restore the backup taken before the upgrade")


@dataclass(frozen=True)
class ServiceSchema:
    """A service's schema as its migrations make it: its name (the PostgreSQL schema's; the one errors give),
    the directory of its revisions, and the models they must agree with (tests/shared/test_migrations.py)."""

    service: str
    directory: Path
    models: Sequence[type[SQLModel]] = field(default=())

    @cached_property
    def scripts(self) -> ScriptDirectory:
        """The revisions, read once a process (a file each, beside ``__init__.py``)."""
        return ScriptDirectory(self.directory, version_locations=[self.directory])

    @property
    def newest(self) -> str:
        return self.scripts.get_current_head() or "none"

    @property
    def revisions(self) -> tuple[str, ...]:
        """Every revision, the first first."""
        return tuple(reversed([script.revision for script in self.scripts.walk_revisions()]))

    @property
    def first(self) -> str:
        [base] = self.scripts.get_bases()  # one line of revisions a service: no branches
        return base

    @property
    def baseline(self) -> MetaData:
        """The first revision's tables (its ``TABLES``): where a database from before migrations is brought."""
        tables = getattr(self.scripts.get_revision(self.first).module, "TABLES", None)
        if not isinstance(tables, MetaData):
            raise TypeError(f"{self.service}'s first migration declares no TABLES (a MetaData)")
        return tables


@dataclass(frozen=True)
class Migrated:
    """What ``migrate`` did to a service's database."""

    service: str
    #: The revision a database from before migrations was stamped with, once brought to it; None: none was.
    adopted: str | None
    #: The revisions run, in order.
    applied: tuple[str, ...]
    #: Where it is now.
    revision: str

    @property
    def changed(self) -> bool:
        return self.adopted is not None or bool(self.applied)

    def __str__(self) -> str:
        if not self.changed:
            return f"{self.service}: at {self.revision}, nothing to do"
        steps = [f"stamped {self.adopted} on a database from before migrations"] if self.adopted else []
        steps += [f"applied {revision}" for revision in self.applied]
        return f"{self.service}: {', '.join(steps)}; now at {self.revision}"


def migrate(connection: Connection, schema: ServiceSchema, *, version_schema: str | None = None) -> Migrated:
    """The database on ``connection`` brought to ``schema``'s newest revision, in the caller's transaction.
    ``version_schema``: PostgreSQL's schema of the service (its version table's); None on SQLite.
    Raises UnknownRevision, before changing anything, on a database a newer release migrated."""
    applied: list[str] = []

    def steps_to_newest(heads, _context):
        """What Alembic runs: the steps from the heads it finds to the newest (as its command.upgrade asks)."""
        steps = schema.scripts._upgrade_revs("heads", heads)
        applied.extend(step.revision.revision for step in steps)
        return steps

    context = MigrationContext.configure(connection, opts={"version_table_schema": version_schema,
                                                           "fn": steps_to_newest})
    _refuse_unknown(schema, context.get_current_heads())
    adopted = schema.first if _adopt_if_older(connection, context, schema, version_schema) else None
    with Operations.context(context):
        context.run_migrations()
    return Migrated(schema.service, adopted, tuple(applied), schema.newest)


def migrate_file(engine: Engine, schema: ServiceSchema, then: Callable[[Connection], None] | None = None) -> Migrated:
    """``migrate`` on a SQLite file, in one transaction whose write lock (the engine's BEGIN IMMEDIATE:
    shared/sqlite/engine.py) makes copies on one host migrate one at a time. ``then``: the service's own schema
    statements (triggers), in the same transaction."""
    with engine.begin() as connection:
        migrated = migrate(connection, schema)
        if then is not None:
            then(connection)
    return migrated


def _refuse_unknown(schema: ServiceSchema, heads: tuple[str, ...]) -> None:
    known = {script.revision for script in schema.scripts.walk_revisions()}
    for head in heads:
        if head not in known:
            raise UnknownRevision(schema.service, head, schema.newest)


def _adopt_if_older(connection: Connection, context: MigrationContext, schema: ServiceSchema,
                    version_schema: str | None) -> bool:
    """A database with the service's tables and no version table was made before migrations: brought to the
    first revision (adoption.py) and stamped with it. True when it was."""
    if context.get_current_heads():
        return False
    baseline = schema.baseline
    if not set(inspect(connection).get_table_names(schema=version_schema)) & set(baseline.tables):
        return False  # an empty database: the migrations make it
    bring_to_baseline(connection, baseline, version_schema)
    context.stamp(schema.scripts, schema.first)
    return True


def create_baseline(tables: MetaData) -> None:
    """A first revision's ``upgrade``: its written-out tables and their indexes made on the migration's
    connection. The same MetaData is what an older database is brought to (adoption.py), so the two ways to the
    first revision cannot differ; and it costs a fresh database (every test's) less than one operation a table."""
    tables.create_all(op.get_bind())

