"""Composition root of the sync status service."""

from services.sync_status.handlers import HANDLERS
from shared.service import identity_only

dispatcher = identity_only(HANDLERS)
