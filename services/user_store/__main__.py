from contracts.topics import GROUPS_COMMANDS, USERS_COMMANDS
from services.user_store.bootstrap import production
from services.user_store.settings import UserStoreSettings
from shared.service import main
from shared.settings import from_environment

if __name__ == "__main__":
    settings = from_environment(UserStoreSettings)
    main(settings, service="user_store", topics=(USERS_COMMANDS, GROUPS_COMMANDS), dispatcher=production(settings),
         database=settings.store)
