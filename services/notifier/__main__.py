from contracts.topics import NOTIFIER_COMMANDS
from services.notifier.bootstrap import dispatcher
from shared.service import main
from shared.settings import CommonSettings

if __name__ == "__main__":
    main(CommonSettings(), service="notifier", topics=(NOTIFIER_COMMANDS,), dispatcher=dispatcher)
