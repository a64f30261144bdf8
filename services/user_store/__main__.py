from contracts.topics import GROUPS_COMMANDS, USERS_COMMANDS
from services.user_store.bootstrap import production
from services.user_store.settings import UserStoreSettings
from shared.service import main

if __name__ == "__main__":
    settings = UserStoreSettings()
    main(settings, service="user_store", topics=(USERS_COMMANDS, GROUPS_COMMANDS), dispatcher=production(settings))
