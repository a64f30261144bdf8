from functools import partial

from contracts.topics import WEBHOOKS_COMMANDS
from services.webhooks.bootstrap import bootstrap
from services.webhooks.settings import WebhooksSettings
from shared.service import main
from shared.settings import SqliteFile, from_environment

if __name__ == "__main__":
    settings = from_environment(WebhooksSettings)
    store = settings.store
    main(settings, service="webhooks", topics=(WEBHOOKS_COMMANDS,), dispatcher=partial(bootstrap, settings),
         database=store.path if isinstance(store, SqliteFile) else None)  # readiness asks SQLite only, so far
