from functools import partial

from contracts.topics import USERS_COMMANDS
from services.user_store.bootstrap import bootstrap
from services.user_store.settings import UserStoreSettings
from shared.service import main

if __name__ == "__main__":
    settings = UserStoreSettings()
    main(settings, service="user_store", topic=USERS_COMMANDS, dispatcher=partial(bootstrap, settings.db_path))
