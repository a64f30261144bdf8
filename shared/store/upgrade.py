"""``scimflow db upgrade``: every stateful service's database migrated where the environment's settings put it.

Services migrate their own database at start (shared/store/backend.py), so this is for an operator who wants
it done, and seen, before the new release's copies start: in a deploy step, or to check a backup restores.
It opens each database as its service does (``open_store``: the same lock, the same ``then`` statements), so
the two ways can never differ. One line a service; a service that fails is said, and the others still run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from shared.settings import PostgresSchema, StoreLocation, explained
from shared.store.backend import open_store
from shared.store.migrations import ServiceSchema


@dataclass(frozen=True)
class StatefulService:
    #: Its database's location, from its settings read from the environment (raises ValidationError).
    locate: Callable[[], StoreLocation]
    schema: ServiceSchema
    then: Callable[[Connection], None] | None = None


def stateful_services() -> list[StatefulService]:
    """Every service with a database of its own (the gateway and the portal keep none)."""
    from services.notifier.migrations import SCHEMA as NOTIFIER
    from services.notifier.settings import NotifierSettings
    from services.seat_allocator.database import complete_schema
    from services.seat_allocator.migrations import SCHEMA as SEAT_ALLOCATOR
    from services.seat_allocator.settings import SeatAllocatorSettings
    from services.sync_status.migrations import SCHEMA as SYNC_STATUS
    from services.sync_status.settings import SyncStatusSettings
    from services.user_store.migrations import SCHEMA as USER_STORE
    from services.user_store.postgres_schema import create_postgres_schema
    from services.user_store.settings import UserStoreSettings
    from services.webhooks.migrations import SCHEMA as WEBHOOKS
    from services.webhooks.settings import WebhooksSettings

    return [StatefulService(lambda: UserStoreSettings().store, USER_STORE, create_postgres_schema),
            StatefulService(lambda: SeatAllocatorSettings().store, SEAT_ALLOCATOR, complete_schema),
            StatefulService(lambda: NotifierSettings().store, NOTIFIER),
            StatefulService(lambda: SyncStatusSettings().store, SYNC_STATUS),
            StatefulService(lambda: WebhooksSettings().store, WEBHOOKS)]


async def upgrade_every_database() -> list[tuple[str, bool]]:
    """Each service's database migrated in turn: a line for each, and whether it was."""
    return [await _upgrade(service) for service in stateful_services()]


async def _upgrade(service: StatefulService) -> tuple[str, bool]:
    name = service.schema.service
    try:
        location = service.locate()
    except ValidationError as error:
        return f"{name}: not upgraded: its settings are refused: {explained(error)}", False
    where = describe(location)
    try:
        async with open_store(location, service.schema, then=service.then) as store:
            return f"{store.migrated} ({where})", True
    except Exception as error:  # a newer revision, the server unreachable ...: what went wrong, not a traceback
        return f"{name}: not upgraded ({where}): {str(error) or type(error).__name__}", False


def describe(location: StoreLocation) -> str:
    """Where a database is, without the password a URL may carry."""
    if isinstance(location, PostgresSchema):
        return f"PostgreSQL {make_url(location.url).render_as_string(hide_password=True)}, schema {location.schema}"
    return f"SQLite {location.path}"
