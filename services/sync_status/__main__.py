"""The sync-status reporter: keeps every user's provisioning status and history, answers the admin."""
from functools import partial

from contracts.topics import SYNC_STATUS_COMMANDS
from services.sync_status.bootstrap import bootstrap
from services.sync_status.settings import SyncStatusSettings
from shared.service import main
from shared.settings import SqliteFile, from_environment

if __name__ == "__main__":
    settings = from_environment(SyncStatusSettings)
    store = settings.store
    main(settings, service="sync_status", topics=(SYNC_STATUS_COMMANDS,), dispatcher=partial(bootstrap, settings),
         database=store.path if isinstance(store, SqliteFile) else None)  # readiness asks SQLite only, so far
