"""Composition root of the notifier service."""

from services.notifier.handlers import HANDLERS
from shared.service import identity_only

dispatcher = identity_only(HANDLERS)
