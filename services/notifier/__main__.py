from contracts.topics import NOTIFIER_COMMANDS
from services.notifier.bootstrap import production
from services.notifier.settings import NotifierSettings
from shared.service import main
from shared.settings import SqliteFile, from_environment

if __name__ == "__main__":
    settings = from_environment(NotifierSettings)
    store = settings.store
    main(settings, service="notifier", topics=(NOTIFIER_COMMANDS,), dispatcher=production(settings),
         database=store.path if isinstance(store, SqliteFile) else None)  # readiness asks SQLite only, so far
