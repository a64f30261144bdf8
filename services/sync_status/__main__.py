"""The sync-status reporter: keeps every user's provisioning status and history, answers the admin."""
from functools import partial

from contracts.topics import SYNC_STATUS_COMMANDS
from services.sync_status.bootstrap import bootstrap
from services.sync_status.settings import SyncStatusSettings
from shared.service import main
from shared.settings import from_environment

if __name__ == "__main__":
    settings = from_environment(SyncStatusSettings)
    main(settings, service="sync_status", topics=(SYNC_STATUS_COMMANDS,), dispatcher=partial(bootstrap, settings),
         database=settings.store)
