from contracts.topics import SYNC_STATUS_COMMANDS
from services.sync_status.bootstrap import dispatcher
from shared.service import main
from shared.settings import CommonSettings

if __name__ == "__main__":
    main(CommonSettings(), service="sync_status", topics=(SYNC_STATUS_COMMANDS,), dispatcher=dispatcher)
