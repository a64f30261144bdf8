from functools import partial

from contracts.topics import WEBHOOKS_COMMANDS
from services.webhooks.bootstrap import bootstrap
from services.webhooks.settings import WebhooksSettings
from shared.service import main
from shared.settings import from_environment

if __name__ == "__main__":
    settings = from_environment(WebhooksSettings)
    main(settings, service="webhooks", topics=(WEBHOOKS_COMMANDS,), dispatcher=partial(bootstrap, settings),
         database=settings.store)
