from contracts.topics import NOTIFIER_COMMANDS
from services.notifier.bootstrap import production
from services.notifier.settings import NotifierSettings
from shared.service import main
from shared.settings import from_environment

if __name__ == "__main__":
    settings = from_environment(NotifierSettings)
    main(settings, service="notifier", topics=(NOTIFIER_COMMANDS,), dispatcher=production(settings),
         database=settings.store)
