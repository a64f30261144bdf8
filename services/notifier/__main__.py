from functools import partial

from contracts.topics import NOTIFIER_COMMANDS
from services.notifier.bootstrap import bootstrap
from services.notifier.settings import NotifierSettings
from shared.service import main

if __name__ == "__main__":
    settings = NotifierSettings()
    main(settings, service="notifier", topics=(NOTIFIER_COMMANDS,), dispatcher=partial(bootstrap, settings))
