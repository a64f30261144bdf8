"""Handlers of the sync status service (its real commands arrive with their own issue)."""

from collections.abc import Mapping

from contracts.system.v1 import Ping
from shared.messaging.dispatch import Handler
from shared.messaging.ping import ping

HANDLERS: Mapping[type, Handler] = {Ping: ping}
